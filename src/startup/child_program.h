#pragma once
// Running a helper program at start-up (SSLPassPhraseDialog exec:, SSLRandomSeed exec:): no
// shell, stdin from /dev/null, only stdin/stdout/stderr inherited, a time limit, and its
// standard output collected. No httpd in here, so the unit tests run it directly.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "config/result.h"

namespace modssl::startup {

// Runs argv[0] with arguments argv[1..] and returns what it printed, up to `max_bytes`.
// - Once `max_bytes` are read, the program has given what was asked: it gets a moment to exit,
//   is then terminated, and how it ends does not matter.
// - Otherwise it must exit with status 0 before `timeout`; a non-zero exit, a signal, or the
//   time limit (the program is killed) is an error naming the program and the reason.
// Empty output is not an error here: callers say what was missing. The bytes may be secret:
// read buffers are wiped, and the caller wipes the result.
config::Result<std::string> run_program_output(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout,
                                               std::size_t max_bytes);

// For programs started elsewhere (the |pipe dialog): in the child, closes every descriptor
// above stderr, so no listening socket or log file leaks into the program.
void close_descriptors_above_stderr();

// Milliseconds left until `deadline` (0 once passed), for poll().
int milliseconds_until(std::chrono::steady_clock::time_point deadline);

}  // namespace modssl::startup
