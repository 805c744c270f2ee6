// The rules of helper-backlog.h.
#include "helper-backlog.h"

static int end(backlog_t *backlog) {
  backlog->waited = backlog->slept = backlog->long_answers = 0;
  if (!backlog->on) return BACKLOG_SAME;
  backlog->on = 0;
  return BACKLOG_ENDS;
}

int backlog_note(backlog_t *backlog, uint64_t answer_ns, uint64_t read_ns) {
  int long_answer = answer_ns >= BACKLOG_LONG_ANSWER_NS;
  if (!long_answer) backlog->long_answers = 0;
  else if (++backlog->long_answers == BACKLOG_LONG_ANSWERS) return end(backlog);
  if (read_ns >= BACKLOG_WAIT_NS) {
    backlog->waited = 0;
    return ++backlog->slept < BACKLOG_ENDS_AFTER ? BACKLOG_SAME : end(backlog);
  }
  backlog->slept = 0;
  if (long_answer) backlog->waited = 0;
  if (backlog->on || long_answer || ++backlog->waited < BACKLOG_AFTER) return BACKLOG_SAME;
  backlog->on = 1;
  return BACKLOG_STARTS;
}

unsigned backlog_readers(unsigned count) { return count / 2 > 0 ? count / 2 : 1; }
