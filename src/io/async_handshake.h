#pragma once
// Handshakes that hold no worker thread while the client is silent.
//
// Stock mod_ssl runs the whole handshake in a worker thread with blocking reads, so a client
// that sends half a ClientHello and waits keeps a thread for up to `Timeout`; a few hundred of
// them stop a server with a small pool. Under an MPM that can wait for I/O on a connection's
// behalf (the event MPM: ap_mpm_query(AP_MPMQ_CAN_WAITIO)), process_connection instead runs the
// handshake with non-blocking reads and writes, and whenever the client's next flight has not
// arrived (or the socket cannot take what we owe it) it hands the connection back to the MPM
// with CONN_STATE_ASYNC_WAITIO and the sense to wait for. The MPM calls process_connection
// again when the socket is ready, and closes the connection after `Timeout` otherwise. Once the
// handshake is done, the connection goes back to the MPM once more until the first request
// bytes arrive, so a client that completes the handshake and then idles costs no thread
// either (HTTP clients speak first). Under prefork and worker the handshake blocks, as stock's.
#include "io/tls_connection.h"

namespace modssl::io {

enum class ConnectionStep {
  Proceed,    // the protocol module may read (handshake done, failed, or plain HTTP)
  WaitRead,   // return to the MPM until the client sends more
  WaitWrite,  // return to the MPM until the socket takes the rest of our output
};

// Whether this MPM can wait for a connection's I/O (asked once per process).
bool mpm_can_wait_io();

// Moves the connection's handshake on as far as it can go without waiting. With `can_wait`
// false it blocks until the handshake is done or failed and always returns Proceed.
ConnectionStep advance_connection(TlsConnection* t, bool can_wait);

}  // namespace modssl::io
