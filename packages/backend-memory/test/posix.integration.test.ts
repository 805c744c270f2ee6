import { describePosixSuite } from '@fusekit/testkit'

describePosixSuite('memory', { backend: 'memory' })
