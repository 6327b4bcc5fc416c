// connect-floor: the least work a connect() port sweep of ONE loopback address can do on this
// kernel, to tell engine overhead from kernel cost in case (a) of bench/scan-bench.sh.
//
// Not a scanner: no timeouts, no retries (every port of a local address answers at once with
// SYN-ACK or RST), IPv4 only. Per probe it makes 4 system calls: socket(SOCK_NONBLOCK),
// connect, epoll_ctl(ADD, EPOLLOUT|EPOLLET), close (+ setsockopt SO_LINGER 0 on the few open
// ports, and epoll_wait amortized over up to 512 events). The outcome comes from the event
// mask: EPOLLERR/EPOLLHUP = refused, EPOLLOUT alone = connected.
//
//   cc -O2 -pthread -o connect-floor bench/connect-floor.c
//   ip netns exec NS ./connect-floor 127.0.0.1 1 65535 [CONCURRENCY=2048] [THREADS=2]
// Prints the open ports, one a line, then a summary on stderr.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static struct in_addr g_addr;
static unsigned g_lo, g_hi, g_conc, g_threads;
static unsigned char g_open[65536];

struct worker {
  unsigned index;
  unsigned long probes, opens;
};

static void* run(void* arg) {
  struct worker* w = arg;
  int ep = epoll_create1(0);
  unsigned lanes = g_conc / g_threads ? g_conc / g_threads : 1;
  unsigned next = g_lo + w->index, inflight = 0;
  unsigned short* port_of = calloc(1 << 20, sizeof *port_of);  // indexed by fd
  struct epoll_event evs[512];
  for (;;) {
    while (inflight < lanes && next <= g_hi) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) { perror("socket"); exit(1); }
      struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(next), .sin_addr = g_addr};
      int rc = connect(fd, (struct sockaddr*)&sa, sizeof sa);
      if (rc != 0 && errno != EINPROGRESS) {  // refused at once
        close(fd);
      } else {
        port_of[fd] = (unsigned short)next;
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        ++inflight;
      }
      ++w->probes;
      next += g_threads;
    }
    if (inflight == 0) break;
    int n = epoll_wait(ep, evs, 512, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (!(evs[i].events & (EPOLLERR | EPOLLHUP))) {
        struct sockaddr_in local;
        socklen_t len = sizeof local;
        // A self-connect (source port == destination port) is not an open port.
        if (getsockname(fd, (struct sockaddr*)&local, &len) != 0 || local.sin_port != htons(port_of[fd])) {
          g_open[port_of[fd]] = 1;
          ++w->opens;
        }
        struct linger l = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      close(fd);
      --inflight;
    }
  }
  free(port_of);
  close(ep);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 4 || inet_pton(AF_INET, argv[1], &g_addr) != 1) {
    fprintf(stderr, "usage: %s IPV4 FIRST_PORT LAST_PORT [CONCURRENCY] [THREADS]\n", argv[0]);
    return 2;
  }
  g_lo = atoi(argv[2]);
  g_hi = atoi(argv[3]);
  g_conc = argc > 4 ? atoi(argv[4]) : 2048;
  g_threads = argc > 5 ? atoi(argv[5]) : 2;
  if (g_lo < 1 || g_hi > 65535 || g_lo > g_hi || g_threads < 1 || g_conc < 1) return 2;
  pthread_t th[64];
  struct worker ws[64] = {0};
  if (g_threads > 64) g_threads = 64;
  for (unsigned i = 0; i < g_threads; ++i) {
    ws[i].index = i;
    pthread_create(&th[i], NULL, run, &ws[i]);
  }
  unsigned long probes = 0, opens = 0;
  for (unsigned i = 0; i < g_threads; ++i) {
    pthread_join(th[i], NULL);
    probes += ws[i].probes;
    opens += ws[i].opens;
  }
  for (unsigned p = g_lo; p <= g_hi; ++p) {
    if (g_open[p]) printf("%s %u\n", argv[1], p);
  }
  fprintf(stderr, "connect-floor: %lu probes, %lu open\n", probes, opens);
  return 0;
}
