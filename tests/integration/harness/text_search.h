#pragma once
// Looking for words in what apache2 and the tools print: configtest output, error logs, pages.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace modssl::it {

class Httpd;

bool contains(const std::string& hay, const std::string& needle);

// A lower-case copy, for messages whose capitalisation differs between modules and versions.
std::string lower(std::string s);

// The lines of `text` that contain every one of `needles`: a message is one line, so words
// found on different lines do not make one.
std::vector<std::string> lines_with(const std::string& text,
                                    const std::vector<std::string>& needles);

// Waits up to `timeout` for an error log line that contains every one of `needles` (the server
// logs a connection's end some time after the client has seen it). That line, or nothing.
std::optional<std::string> wait_for_line(
    const Httpd& h, const std::vector<std::string>& needles,
    std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace modssl::it
