#!/usr/bin/env node
// The raw SDK (@aws-sdk/client-s3, the version the S3 backend uses), doing what each phase of the
// S3 bench does through a mount, without a filesystem in between: the ceiling. Credentials and
// the endpoint come from the environment (FUSEKIT_TEST_S3_ENDPOINT, AWS_*), as for the mounts.
//   node s3-raw.mjs write  <bucket> <key> <MiB>          multipart upload from memory, 8 MiB parts, 4 at a time
//   node s3-raw.mjs read   <bucket> <key>                ranged GETs of 8 MiB, 4 at a time, into memory
//   node s3-raw.mjs files  <bucket> <prefix> <count> <put|head|get|delete>   one request per 4 KiB object, one at a time
//   node s3-raw.mjs list   <bucket> <prefix>              ListObjectsV2 with a delimiter, every page
//   node s3-raw.mjs random <bucket> <key> <seconds> [n]   4 KiB ranged GETs at random offsets, n at a time (1)
// Prints one JSON line: {"ms":…, "count":…, "bytes":…, "cpu":<s of CPU>, "rss":<peak MiB>}
import { createRequire } from 'node:module'
import { Agent } from 'node:http'
import { fileURLToPath } from 'node:url'

const require = createRequire(fileURLToPath(new URL('../../packages/backend-s3/package.json', import.meta.url)))
const s3 = require('@aws-sdk/client-s3')
const { NodeHttpHandler } = require('@smithy/node-http-handler')

const MiB = 1024 * 1024
const PART = 8 * MiB
const CONCURRENCY = 4

// The settings the mount's client has: keep-alive sockets, path style, payload checksums only
// where S3 requires them (RGW refuses the SDK's default trailers on streams).
const agent = new Agent({ keepAlive: true, maxSockets: 32 })
const client = new s3.S3Client({
  endpoint: process.env.FUSEKIT_TEST_S3_ENDPOINT,
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  requestHandler: new NodeHttpHandler({ httpAgent: agent }),
})

let peakRss = process.memoryUsage().rss
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100)

const [phase, bucket, name, ...rest] = process.argv.slice(2)
const phases = { write, read, files, list, random }
if (!phases[phase] || !bucket || name === undefined) usage()
const cpuBefore = process.cpuUsage()
const started = process.hrtime.bigint()
const { count, bytes } = await phases[phase](...rest)
const ms = Number(process.hrtime.bigint() - started) / 1e6
const cpu = process.cpuUsage(cpuBefore)
clearInterval(sampler)
process.stdout.write(JSON.stringify({ ms, count, bytes, cpu: (cpu.user + cpu.system) / 1e6, rss: Math.max(peakRss, process.memoryUsage().rss) / MiB }) + '\n')
client.destroy()

async function write(mib) {
  const body = Buffer.alloc(Number(mib) * MiB)
  const { UploadId } = await client.send(new s3.CreateMultipartUploadCommand({ Bucket: bucket, Key: name }))
  const parts = Math.ceil(body.length / PART)
  const etags = new Array(parts)
  await pool(parts, async (i) => {
    const out = await client.send(new s3.UploadPartCommand({ Bucket: bucket, Key: name, UploadId, PartNumber: i + 1, Body: body.subarray(i * PART, (i + 1) * PART) }))
    etags[i] = out.ETag
  })
  await client.send(
    new s3.CompleteMultipartUploadCommand({ Bucket: bucket, Key: name, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
  )
  return { count: parts + 2, bytes: body.length }
}

async function read() {
  const { ContentLength: size } = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: name }))
  const parts = Math.ceil(size / PART)
  let bytes = 0
  await pool(parts, async (i) => {
    const range = `bytes=${i * PART}-${Math.min(size, (i + 1) * PART) - 1}`
    const out = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: name, Range: range }))
    // Read first: `bytes += await …` would add to the value bytes had before the await.
    const body = await out.Body.transformToByteArray()
    bytes += body.length
  })
  return { count: parts + 1, bytes }
}

async function files(count, operation) {
  const data = Buffer.alloc(4096, 'fusekit ')
  const keyOf = (i) => `${name}f${i}`
  const calls = {
    put: (i) => client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: keyOf(i), Body: data })),
    head: (i) => client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: keyOf(i) })),
    get: async (i) => (await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: keyOf(i) }))).Body.transformToByteArray(),
    delete: (i) => client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: keyOf(i) })),
  }
  for (let i = 0; i < Number(count); i++) await calls[operation](i)
  return { count: Number(count), bytes: 0 }
}

async function list() {
  let count = 0
  let token
  do {
    const out = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: name, Delimiter: '/', ContinuationToken: token }))
    // The directory's own marker ("list/") is not one of its entries.
    count += (out.Contents ?? []).filter((o) => o.Key !== name).length + (out.CommonPrefixes?.length ?? 0)
    token = out.NextContinuationToken
  } while (token)
  return { count, bytes: 0 }
}

async function random(seconds, readers = '1') {
  const { ContentLength: size } = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: name }))
  const until = Date.now() + Number(seconds) * 1000
  let count = 0
  const reader = async () => {
    while (Date.now() < until) {
      const offset = Math.floor((Math.random() * (size - 4096)) / 4096) * 4096
      const out = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: name, Range: `bytes=${offset}-${offset + 4095}` }))
      await out.Body.transformToByteArray()
      count++
    }
  }
  await Promise.all(Array.from({ length: Number(readers) }, reader))
  return { count, bytes: count * 4096 }
}

/** Runs task(0..n-1), CONCURRENCY at a time. */
async function pool(n, task) {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(n, CONCURRENCY) }, async () => {
    while (next < n) await task(next++)
  }))
}

function usage() {
  process.stderr.write('usage: node s3-raw.mjs write|read|files|list|random <bucket> <key or prefix> [args]; see the header of this file\n')
  process.exit(2)
}
