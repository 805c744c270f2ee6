import { execFile } from 'node:child_process'
import type { TestGroups, TestUser, TestUsers } from './types.js'

function exec(command: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

async function getent(database: 'group' | 'passwd', name: string): Promise<string[] | undefined> {
  const { code, stdout } = await exec('getent', [database, name])
  return code === 0 ? stdout.trim().split(':') : undefined
}

/**
 * groupadd or useradd. Another process adding an account holds the account files' lock, and
 * these tools then fail at once ("cannot lock /etc/group; try again later"): they are run again.
 */
async function addAccount(command: 'groupadd' | 'useradd', args: readonly string[]): Promise<{ code: number; stderr: string }> {
  for (let attempt = 1; ; attempt++) {
    const added = await exec(command, args)
    if (added.code === 0 || attempt === 50 || !added.stderr.includes('cannot lock')) return added
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function ensureGroup(name: string): Promise<number> {
  let entry = await getent('group', name)
  if (!entry) {
    const added = await addAccount('groupadd', ['--system', name])
    // 9: the group exists (another worker made it in between).
    if (added.code !== 0 && added.code !== 9) throw new Error(`groupadd ${name} failed: ${added.stderr}`)
    entry = await getent('group', name)
  }
  if (!entry) throw new Error(`group ${name} missing after groupadd`)
  return Number(entry[2])
}

async function ensureUser(name: string, primary: string, supplementary: readonly string[]): Promise<void> {
  if (await getent('passwd', name)) return
  const args = ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--gid', primary]
  if (supplementary.length > 0) args.push('--groups', supplementary.join(','))
  const added = await addAccount('useradd', [...args, name])
  if (added.code !== 0 && added.code !== 9) throw new Error(`useradd ${name} failed: ${added.stderr}`)
}

async function lookUp(name: string): Promise<TestUser> {
  const [uid, gid, groups] = await Promise.all([exec('id', ['-u', name]), exec('id', ['-g', name]), exec('id', ['-G', name])])
  if (uid.code !== 0) throw new Error(`no user ${name}: ${uid.stderr}`)
  const primary = Number(gid.stdout)
  const all = groups.stdout.trim().split(/\s+/).map(Number)
  return { name, uid: Number(uid.stdout), gid: primary, groups: [primary, ...all.filter((g) => g !== primary)] }
}

let prepared: Promise<{ users: TestUsers; groups: TestGroups }> | undefined

/**
 * Creates the test users and groups if missing (system accounts without a home or a login
 * shell; needs root) and returns their ids. Safe to call again and from parallel processes.
 */
export function ensureTestUsers(): Promise<{ users: TestUsers; groups: TestGroups }> {
  prepared ??= (async () => {
    const shared = await ensureGroup('fusekit-shared')
    for (const name of ['alice', 'bob', 'carol']) await ensureGroup(`fusekit-${name}`)
    await ensureUser('fusekit-alice', 'fusekit-alice', ['fusekit-shared'])
    await ensureUser('fusekit-bob', 'fusekit-bob', [])
    await ensureUser('fusekit-carol', 'fusekit-carol', ['fusekit-shared'])
    const [alice, bob, carol, nobody] = await Promise.all(['fusekit-alice', 'fusekit-bob', 'fusekit-carol', 'nobody'].map(lookUp)) as [TestUser, TestUser, TestUser, TestUser]
    if (!alice.groups.includes(shared) || !carol.groups.includes(shared) || bob.groups.includes(shared)) {
      throw new Error(`the test users' groups are not as the cases expect (alice and carol in fusekit-shared, bob not): ${JSON.stringify({ alice, bob, carol })}`)
    }
    if (nobody.uid !== 65534) throw new Error(`nobody is uid ${nobody.uid}, the cases expect 65534`)
    const root: TestUser = { name: 'root', uid: 0, gid: 0, groups: [0] }
    return {
      users: { root, alice, bob, carol, nobody },
      groups: { root: 0, alice: alice.gid, bob: bob.gid, carol: carol.gid, shared, nobody: nobody.gid },
    }
  })()
  return prepared
}
