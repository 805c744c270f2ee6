export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  readonly level: LogLevel
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

const ranks: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

export interface ConsoleLoggerOptions {
  level?: LogLevel
  /** Values that must never be printed (credentials): replaced by "***" wherever they appear. */
  secrets?: readonly string[]
  write?: (line: string) => void
}

/** Logs one line per message to stderr, masking secrets. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const level = options.level ?? 'info'
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0)
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const emit = (at: LogLevel, message: string) => {
    if (ranks[at] < ranks[level]) return
    let text = message
    for (const secret of secrets) text = text.split(secret).join('***')
    write(`fusekit ${at}: ${text}`)
  }
  return {
    level,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  }
}
