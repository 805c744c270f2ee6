import { describePassthroughSuite } from './posix-suite.js'

describePassthroughSuite('lowlevel')
