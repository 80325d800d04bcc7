/*
 * ghclip: the tiny guest's clipboard agent. Speaks the SPICE VDAgent clipboard messages on the
 * com.redhat.spice.0 virtio port, which QEMU's qemu-vdagent chardev joins to VNC clients'
 * extended clipboard (docs/decisions/0030-clipboard-through-qemu-vdagent.md).
 *
 *   ghclip &                      the agent (started by init)
 *   echo text > /run/ghclip.copy  the guest copies: the agent grabs the clipboard and serves it
 *   cat /run/ghclip.paste         what the browser pasted into the guest last
 *
 * Only UTF-8 text, only the CLIPBOARD selection (no selection capability announced). The port
 * goes away while the host migrates (a saved state, a snapshot); the agent reopens it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PORT_NAME "com.redhat.spice.0"
#define COPY_FIFO "/run/ghclip.copy"
#define PASTE_FILE "/run/ghclip.paste"
#define MAX_TEXT (1024 * 1024)

enum { VDP_CLIENT_PORT = 1, VD_AGENT_PROTOCOL = 1 };
enum { MSG_CLIPBOARD = 4, MSG_ANNOUNCE_CAPABILITIES = 6, MSG_GRAB = 7, MSG_REQUEST = 8, MSG_RELEASE = 9 };
enum { CAP_CLIPBOARD_BY_DEMAND = 5, CLIPBOARD_UTF8_TEXT = 1 };
#define CHUNK_HEADER 8
#define MSG_HEADER 20

static char copied[MAX_TEXT];
static size_t copied_len;
static int have_copy;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); } /* little-endian guest, as the protocol */
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/** /dev/vportNpM whose sysfs name is com.redhat.spice.0, or -1. */
static int open_port(void) {
  DIR *d = opendir("/sys/class/virtio-ports");
  if (!d) return -1;
  struct dirent *e;
  int fd = -1;
  while (fd < 0 && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], name[64] = {0};
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fgets(name, sizeof name, f) && strncmp(name, PORT_NAME, strlen(PORT_NAME)) == 0) {
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      fd = open(path, O_RDWR);
    }
    fclose(f);
  }
  closedir(d);
  return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/** One message, in one chunk (QEMU reassembles chunks of any size). */
static int send_msg(int fd, uint32_t type, const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  size_t size = an + bn;
  uint8_t *buf = malloc(CHUNK_HEADER + MSG_HEADER + size);
  if (!buf) return -1;
  put32(buf, VDP_CLIENT_PORT);
  put32(buf + 4, (uint32_t)(MSG_HEADER + size));
  put32(buf + 8, VD_AGENT_PROTOCOL);
  put32(buf + 12, type);
  memset(buf + 16, 0, 8); /* opaque */
  put32(buf + 24, (uint32_t)size);
  if (an) memcpy(buf + 28, a, an);
  if (bn) memcpy(buf + 28 + an, b, bn);
  int r = write_all(fd, buf, CHUNK_HEADER + MSG_HEADER + size);
  free(buf);
  return r;
}

static int send_caps(int fd, uint32_t request) {
  uint8_t caps[8];
  put32(caps, request);
  put32(caps + 4, 1u << CAP_CLIPBOARD_BY_DEMAND);
  return send_msg(fd, MSG_ANNOUNCE_CAPABILITIES, caps, sizeof caps, NULL, 0);
}

static int send_type(int fd, uint32_t msg) {
  uint8_t t[4];
  put32(t, CLIPBOARD_UTF8_TEXT);
  return send_msg(fd, msg, t, 4, NULL, 0);
}

static void store_paste(const uint8_t *text, size_t n) {
  int f = open(PASTE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) return;
  write_all(f, text, n);
  close(f);
  rename(PASTE_FILE ".tmp", PASTE_FILE);
}

/** Handles one whole message from QEMU. */
static int on_message(int fd, const uint8_t *m, size_t n) {
  uint32_t type = get32(m + 4), size = get32(m + 16);
  const uint8_t *data = m + MSG_HEADER;
  if (MSG_HEADER + size > n) return 0;
  switch (type) {
    case MSG_ANNOUNCE_CAPABILITIES:
      if (size >= 4 && get32(data)) return send_caps(fd, 0);
      return have_copy ? send_type(fd, MSG_GRAB) : 0;
    case MSG_GRAB: /* the browser copied: ask for the text */
      return send_type(fd, MSG_REQUEST);
    case MSG_REQUEST:
      if (!have_copy) return 0;
      {
        uint8_t t[4];
        put32(t, CLIPBOARD_UTF8_TEXT);
        return send_msg(fd, MSG_CLIPBOARD, t, 4, (const uint8_t *)copied, copied_len);
      }
    case MSG_CLIPBOARD:
      if (size >= 4 && get32(data) == CLIPBOARD_UTF8_TEXT) store_paste(data + 4, size - 4);
      return 0;
    default:
      return 0;
  }
}

int main(void) {
  mkfifo(COPY_FIFO, 0666);
  int fifo = open(COPY_FIFO, O_RDWR | O_NONBLOCK); /* RDWR: never sees EOF when a writer closes */
  static uint8_t chunk[CHUNK_HEADER];
  uint8_t *msg = malloc(MAX_TEXT + 4096);
  for (;;) {
    int port = open_port();
    if (port < 0) {
      sleep(1);
      continue;
    }
    size_t have = 0, msg_len = 0, chunk_left = 0;
    size_t head = 0;
    int ok = send_caps(port, 1) == 0;
    while (ok) {
      struct pollfd p[2] = {{.fd = port, .events = POLLIN}, {.fd = fifo, .events = POLLIN}};
      if (poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (p[1].revents & POLLIN) {
        ssize_t r = read(fifo, copied, sizeof copied);
        if (r > 0) {
          while (r > 0 && copied[r - 1] == '\n') r--; /* echo's newline is not part of the copy */
          copied_len = (size_t)r;
          have_copy = 1;
          if (send_type(port, MSG_GRAB) < 0) break;
        }
      }
      if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) break;
      if (!(p[0].revents & POLLIN)) continue;
      uint8_t buf[4096];
      ssize_t r = read(port, buf, sizeof buf);
      if (r <= 0) break;
      for (ssize_t i = 0; i < r;) {
        if (chunk_left == 0) { /* reading a chunk header */
          chunk[head++] = buf[i++];
          if (head == CHUNK_HEADER) {
            chunk_left = get32(chunk + 4);
            head = 0;
          }
          continue;
        }
        size_t take = (size_t)(r - i) < chunk_left ? (size_t)(r - i) : chunk_left;
        if (have + take > MAX_TEXT + 4096) { have = 0; msg_len = 0; } /* too big: dropped */
        memcpy(msg + have, buf + i, take);
        have += take;
        i += (ssize_t)take;
        chunk_left -= take;
        if (msg_len == 0 && have >= MSG_HEADER) msg_len = MSG_HEADER + get32(msg + 16);
        while (msg_len && have >= msg_len) {
          if (on_message(port, msg, msg_len) < 0) { ok = 0; break; }
          memmove(msg, msg + msg_len, have - msg_len);
          have -= msg_len;
          msg_len = have >= MSG_HEADER ? MSG_HEADER + get32(msg + 16) : 0;
        }
      }
    }
    close(port);
    sleep(1);
  }
}
