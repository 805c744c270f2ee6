import { chmod, chown, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertMode } from './assertions.js'
import { S_IFREG } from './constants.js'
import type { PosixCase, TestUser } from './types.js'

type Operation = 'write' | 'truncate' | 'open-trunc'

export const privilegeCases: PosixCase[] = [
  {
    name: 'a write or truncate by anyone but root clears S_ISUID, and S_ISGID when group-executable or the writer is outside the group',
    needs: ['otherUsers', 'callerIdentity'],
    async run(dir, { as, users, groups, lstat }) {
      const { alice, bob, carol, root } = users
      // Every file belongs to alice, group fusekit-shared (carol is a member, bob is not).
      const plan: Array<[name: string, mode: number, by: TestUser, operation: Operation, expected: number]> = [
        ['carol-write-6775', 0o6775, carol, 'write', 0o775],
        ['carol-write-2664', 0o2664, carol, 'write', 0o2664],
        ['carol-write-4664', 0o4664, carol, 'write', 0o664],
        ['bob-write-2666', 0o2666, bob, 'write', 0o666],
        ['bob-write-4666', 0o4666, bob, 'write', 0o666],
        ['alice-write-6775', 0o6775, alice, 'write', 0o775],
        ['alice-write-2666', 0o2666, alice, 'write', 0o2666],
        ['root-write-6777', 0o6777, root, 'write', 0o6777],
        ['carol-truncate-6775', 0o6775, carol, 'truncate', 0o775],
        ['carol-truncate-2664', 0o2664, carol, 'truncate', 0o2664],
        ['bob-truncate-2666', 0o2666, bob, 'truncate', 0o666],
        ['root-truncate-6777', 0o6777, root, 'truncate', 0o6777],
        ['carol-open-trunc-6775', 0o6775, carol, 'open-trunc', 0o775],
        ['carol-open-trunc-2664', 0o2664, carol, 'open-trunc', 0o2664],
      ]
      for (const [name, mode] of plan) {
        await writeFile(join(dir, name), 'data')
        await chown(join(dir, name), alice.uid, groups.shared)
        await chmod(join(dir, name), mode)
      }
      for (const user of [alice, bob, carol, root]) {
        const mine = plan.filter(([, , by]) => by === user).map(([name, , , operation]) => [name, operation] as const)
        await as(user, async ({ fs, writeAt }, d: string, operations: Array<readonly [string, string]>) => {
          for (const [name, operation] of operations) {
            const path = `${d}/${name}`
            if (operation === 'write') await writeAt(path, 'X', 1)
            else if (operation === 'truncate') await fs.truncate(path, 2)
            else await (await fs.open(path, 'w')).close()
          }
        }, dir, mine)
      }
      for (const [name, , , operation, expected] of plan) {
        const after = await lstat(join(dir, name))
        assertMode(after, S_IFREG | expected, name)
        assert.equal(after.size, { write: 4, truncate: 2, 'open-trunc': 0 }[operation], `${name}: size`)
      }
    },
  },
]
