import type { FileData } from './file-data.js'
import type { MountParts } from './mount-parts.js'
import type { FlushProgress } from './write-staging.js'

const MiB = 1024 * 1024

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)
}

/**
 * The unmount of a mount with changes not uploaded yet (Ctrl-C, SIGTERM, fusermount -u): every
 * dirty file is uploaded, each one reported with the running totals (files, MiB). What still
 * fails is not thrown away: its staged data stays on disk, and the log says where.
 */
export class ShutdownUpload {
  constructor(
    private readonly parts: MountParts,
    private readonly data: FileData,
  ) {}

  async run(): Promise<void> {
    const { staging, logger, files } = this.parts
    for (const file of files.all()) if (file.staged && !file.detached) file.staged.metadata = this.data.metadataOf(file)
    const dirty = staging.dirtyFiles()
    if (dirty.length > 0) {
      const bytes = dirty.reduce((sum, f) => sum + f.size, 0)
      logger.info(`s3: uploading ${dirty.length} file(s) not uploaded yet (${mib(bytes)} MiB) before unmounting`)
    }
    const failed = await staging.flushAll((progress) => this.report(progress))
    const kept = await staging.destroy({ keepDirty: failed.length > 0 })
    this.parts.readAhead.destroy()
    for (const [key, { path, unfinishedUpload }] of kept) {
      const rest = unfinishedUpload
        ? ` (parts ${unfinishedUpload.parts.join(', ')} are only in its unfinished multipart upload ${unfinishedUpload.uploadId}, left in the bucket)`
        : ''
      logger.error(`s3: could not upload ${key}: its data is kept in ${path}${rest}`)
    }
    this.parts.store.destroy()
  }

  private report({ key, filesDone, filesTotal, bytesDone, bytesTotal, error }: FlushProgress): void {
    const totals = `${filesDone}/${filesTotal} files, ${mib(bytesDone)}/${mib(bytesTotal)} MiB`
    if (error) this.parts.logger.error(`s3: uploading ${key} failed (${error.message}) [${totals}]`)
    else this.parts.logger.info(`s3: uploaded ${key} [${totals}]`)
  }
}
