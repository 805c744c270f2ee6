// The rules of read-on-policy.h.
#include "read-on-policy.h"

int read_on_next(read_on_t *policy, int answered, unsigned count) {
  if (count >= READ_ON_MOST) return 0;
  if (!answered) return 1;
  return policy->empty < READ_ON_EMPTY || ++policy->answers % READ_ON_PROBE == 0;
}

void read_on_found(read_on_t *policy, int found) {
  if (found) policy->empty = 0;
  else if (policy->empty < READ_ON_EMPTY) policy->empty++;
}
