import { describePassthroughSuite } from './posix-suite.js'

describePassthroughSuite('fuse-native')
