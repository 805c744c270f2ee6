import { describePosixSuite } from '@fusekit/testkit'

describePosixSuite('memory (fuse-native driver)', { backend: 'memory', args: () => ['--driver', 'fuse-native'] })
