import { describePosixSuite } from '@fusekit/testkit'

describePosixSuite('memory (lowlevel driver)', { backend: 'memory', args: () => ['--driver', 'lowlevel'], timePrecision: 'nanosecond' })
