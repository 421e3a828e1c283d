#pragma once
// The programs of SSLPassPhraseDialog, with no httpd in sight: run `exec:` programs with a time
// limit and take the first line of their output; keep one `|program` running and hold a
// prompt/answer conversation with it, one line each way.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/result.h"

namespace modssl::startup {

// How long a program may take to answer before it is given up on (and killed, for exec:).
// Generous on purpose: Debian's default program (/usr/share/apache2/ask-for-passphrase) waits
// for a person to type at a terminal or through systemd-ask-password.
inline constexpr std::chrono::seconds kPassphraseProgramTimeout{300};

// Runs argv[0] with arguments argv[1..] (no shell; stdin /dev/null, stderr inherited) and
// returns the first line of its standard output without the line end. Errors: the program
// cannot be run, exits non-zero or dies of a signal, prints nothing, or does not finish within
// `timeout` (it is killed then). The returned text is a secret: callers wipe it.
config::Result<std::string> run_for_first_line(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout);

// `/bin/sh -c command`, started once: each ask() writes the prompt and a newline to its
// standard input and reads one line from its standard output.
class PipeProgram {
 public:
  static config::Result<std::unique_ptr<PipeProgram>> start(const std::string& command);
  ~PipeProgram();  // closes both pipes (the program sees end of input); does not kill it
  PipeProgram(const PipeProgram&) = delete;
  PipeProgram& operator=(const PipeProgram&) = delete;

  config::Result<std::string> ask(const std::string& prompt, std::chrono::milliseconds timeout);
  const std::string& command() const { return command_; }

 private:
  PipeProgram() = default;
  std::string command_;
  pid_t pid_ = -1;
  int to_program_ = -1;
  int from_program_ = -1;
  std::string pending_;  // bytes read past the last answer's line end
};

}  // namespace modssl::startup
