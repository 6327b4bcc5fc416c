// Bytes a TCP socket has received so far (the kernel's count), for byte budgets on sockets that a
// library reads itself. Its own file: <linux/tcp.h> (which has the counter) clashes with
// <netinet/tcp.h> (which Asio includes).
#pragma once

#include <cstdint>

namespace mamori::creds::ssh {

// 0 when the socket is not TCP or the kernel does not say.
uint64_t tcp_bytes_received(int fd);

}  // namespace mamori::creds::ssh
