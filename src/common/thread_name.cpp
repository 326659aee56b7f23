#include "common/thread_name.h"

#include <pthread.h>

namespace pcap_ring {

void name_this_thread(const char* name) {
  // Only a name longer than 15 characters fails (ERANGE); a thread keeps its old name then.
  (void)pthread_setname_np(pthread_self(), name);
}

}  // namespace pcap_ring
