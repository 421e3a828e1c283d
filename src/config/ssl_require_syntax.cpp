// SSLRequire syntax checker: a scanner and a recursive-descent parser that accept exactly the
// token sequences ap_expr 2.4's grammar accepts, with errors written for an administrator.
//
// The scanner follows ap_expr's lexical rules, including its quirks, because a checker that
// tokenizes differently would blame the wrong spot: the longest match wins (so "android" is a
// name, not "and"), "m" followed by a delimiter starts a regex, "-x" is a unary and "-xy" a
// binary operator, and only space, tab and line feed separate tokens.
#include "config/ssl_require_syntax.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace modssl::config {
namespace {

enum class Kind {
  kEnd,
  kTrue,
  kFalse,
  kNot,
  kAnd,
  kOr,
  kOpen,
  kClose,
  kOpenBrace,
  kCloseBrace,
  kComma,
  kConcat,
  kCompare,  // == = != < <= > >= eq ne lt le gt ge -eq -ne -lt -le -gt -ge
  kMatch,    // =~ !~
  kIn,       // in -in
  kBinary,   // -ipmatch, -strmatch, ... (any -name of two or more characters)
  kUnary,    // -n, -z, -f, ... (any -x)
  kNumber,
  kString,
  kVariable,
  kBackref,  // $0 .. $9
  kName,     // a function name
  kRegex,
};

struct Token {
  Kind kind = Kind::kEnd;
  std::size_t begin = 0;
  std::size_t end = 0;
};

constexpr std::size_t kExcerptBytes = 30;
constexpr std::string_view kCondition =
    "a condition (true, false, !, ( or a comparison such as %{VAR} == \"value\")";
constexpr std::string_view kValue =
    "a value (a number, a \"string\", %{VARIABLE} or a function call)";
constexpr std::string_view kOperator =
    "an operator (==, !=, <, <=, >, >=, =~, !~, in, eq, ne, lt, le, gt, ge, -eq, -ne, -lt, "
    "-le, -gt, -ge or a -operator such as -ipmatch)";
constexpr std::string_view kRegexShape =
    "a regular expression (/.../ or m#...#, optionally followed by i)";
constexpr std::string_view kListShape =
    "a list ({\"a\", \"b\"} or a function such as PeerExtList(\"1.2.3.4\"))";

bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_octal(unsigned char c) {
  return c >= '0' && c <= '7';
}
bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_name_char(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '_';
}
bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n';
}
// The characters ap_expr accepts as a delimiter after "m" in m#regex#.
bool is_regex_delimiter(unsigned char c) {
  return std::string_view("/#$%^,;:_?|!.'\"-").find(static_cast<char>(c)) != std::string_view::npos;
}

void append_escaped(std::string& out, unsigned char c) {
  if (c >= 0x20 && c < 0x7f) {
    out += static_cast<char>(c);
    return;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// At most kExcerptBytes of `text` from `pos`, printable, with "..." when cut.
std::string excerpt(std::string_view text, std::size_t pos, std::size_t end) {
  end = std::min(end, text.size());
  std::size_t stop = std::min(end, pos + kExcerptBytes);
  std::string out;
  for (std::size_t i = pos; i < stop; ++i) append_escaped(out, static_cast<unsigned char>(text[i]));
  if (stop < end) out += "...";
  return out;
}

Kind keyword_kind(std::string_view word) {
  static constexpr std::array<std::pair<std::string_view, Kind>, 12> kKeywords = {{
      {"and", Kind::kAnd},
      {"or", Kind::kOr},
      {"not", Kind::kNot},
      {"true", Kind::kTrue},
      {"false", Kind::kFalse},
      {"in", Kind::kIn},
      {"eq", Kind::kCompare},
      {"ne", Kind::kCompare},
      {"lt", Kind::kCompare},
      {"le", Kind::kCompare},
      {"gt", Kind::kCompare},
      {"ge", Kind::kCompare},
  }};
  for (const auto& [text, kind] : kKeywords) {
    if (text == word) return kind;
  }
  return Kind::kName;
}

// Operators written with a dash: the integer comparisons and -in have their own tokens, any
// other -name is a unary (one character) or binary operator looked up by ap_expr later.
Kind dash_kind(std::string_view name) {
  if (name == "in") return Kind::kIn;
  for (std::string_view op : {"eq", "ne", "lt", "le", "gt", "ge"}) {
    if (name == op) return Kind::kCompare;
  }
  return name.size() == 1 ? Kind::kUnary : Kind::kBinary;
}

bool lower_case_keyword(std::string_view word) {
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return lower != word && keyword_kind(lower) != Kind::kName;
}

class Checker {
 public:
  explicit Checker(std::string_view text) : text_(text) {}

  Status run() {
    if (advance() && parse_condition(0)) {
      if (cur_.kind == Kind::kEnd) return ok_status();
      expected("&&, || or the end of the expression");
    }
    return fail(error_);
  }

 private:
  // ---- reporting ----

  bool fail_at(std::size_t pos, const std::string& problem) {
    error_ = "column " + std::to_string(pos + 1) + ": " + problem;
    return false;
  }

  std::string found() const {
    if (cur_.kind == Kind::kEnd) return "the end of the expression";
    return "'" + excerpt(text_, cur_.begin, text_.size()) + "'";
  }

  std::string after_previous() const {
    if (!have_prev_) return " at the start";
    return " after '" + excerpt(text_, prev_.begin, prev_.end) + "'";
  }

  bool expected(std::string_view what) {
    return fail_at(cur_.begin,
                   "expected " + std::string(what) + after_previous() + " but found " + found());
  }

  // A lexical problem at `pos`: say what is wrong and show the text there.
  bool invalid(std::size_t pos, std::string_view problem) {
    return fail_at(pos, std::string(problem) + " at '" + excerpt(text_, pos, text_.size()) + "'");
  }

  bool too_deep(std::size_t pos) {
    return invalid(pos, "nested too deeply (more than " + std::to_string(kMaxSslRequireNesting) +
                            " levels of parentheses, function calls or variables)");
  }

  // "===" or "<>" scan as two operators; name the whole run instead of blaming its second half.
  bool unknown_operator() {
    auto symbolic = [this](const Token& t) {
      return std::string_view("=!<>~&|").find(text_[t.begin]) != std::string_view::npos;
    };
    if (!have_prev_ || cur_.kind == Kind::kEnd || cur_.begin != prev_.end || !symbolic(prev_) ||
        !symbolic(cur_)) {
      return false;
    }
    std::size_t end = cur_.end;
    while (end < text_.size() && std::string_view("=!<>~").find(text_[end]) != std::string::npos) {
      ++end;
    }
    fail_at(prev_.begin, "unknown operator '" + excerpt(text_, prev_.begin, end) + "'; expected " +
                             std::string(kOperator));
    return true;
  }

  // ---- scanner ----

  bool at(std::size_t pos, char c) const { return pos < text_.size() && text_[pos] == c; }
  unsigned char byte(std::size_t pos) const {
    return pos < text_.size() ? static_cast<unsigned char>(text_[pos]) : 0;
  }

  bool advance() {
    prev_ = cur_;
    have_prev_ = have_token_;
    have_token_ = true;
    while (pos_ < text_.size() && is_space(byte(pos_))) ++pos_;
    cur_.begin = pos_;
    cur_.kind = Kind::kEnd;
    bool ok = pos_ >= text_.size() || scan_token();
    cur_.end = pos_;
    return ok;
  }

  bool scan_token() {
    unsigned char c = byte(pos_);
    if (c == '"' || c == '\'') return scan_string();
    if (c == '%' && at(pos_ + 1, '{')) return token(Kind::kVariable, scan_variable(0));
    if (c == '$' && is_digit(byte(pos_ + 1))) return token(Kind::kBackref, skip(2));
    if (c == '/') return scan_regex(pos_ + 1, '/');
    if (c == '-') return scan_dash();
    if (is_digit(c)) return token(Kind::kNumber, skip_digits(pos_));
    if (is_alpha(c)) return scan_name();
    return scan_punctuation();
  }

  bool token(Kind kind, bool ok) {
    cur_.kind = kind;
    return ok;
  }

  bool skip(std::size_t bytes) {
    pos_ += bytes;
    return true;
  }

  bool skip_digits(std::size_t from) {
    pos_ = from;
    while (is_digit(byte(pos_))) ++pos_;
    return true;
  }

  bool scan_name() {
    std::size_t end = pos_;
    while (end < text_.size() && is_name_char(byte(end))) ++end;
    // ap_expr's scanner takes the longest match, and on a tie the regex rule, which comes first.
    if (byte(pos_) == 'm' && is_regex_delimiter(byte(pos_ + 1)) && end - pos_ <= 2) {
      return scan_regex(pos_ + 2, text_[pos_ + 1]);
    }
    cur_.kind = keyword_kind(text_.substr(pos_, end - pos_));
    pos_ = end;
    return true;
  }

  bool scan_dash() {
    unsigned char next = byte(pos_ + 1);
    if (is_digit(next)) return token(Kind::kNumber, skip_digits(pos_ + 1));
    if (!is_alpha(next) && next != '_') {
      return invalid(pos_, "a '-' must start an operator such as -eq or -n, or a number");
    }
    std::size_t end = pos_ + 1;
    while (end < text_.size() && is_name_char(byte(end))) ++end;
    cur_.kind = dash_kind(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end;
    return true;
  }

  bool scan_punctuation() {
    struct Spelling {
      std::string_view text;
      Kind kind;
    };
    // Two-character spellings first: the scanner takes the longest match.
    static constexpr std::array<Spelling, 18> kSpellings = {{
        {"==", Kind::kCompare},
        {"=~", Kind::kMatch},
        {"!=", Kind::kCompare},
        {"!~", Kind::kMatch},
        {"<=", Kind::kCompare},
        {">=", Kind::kCompare},
        {"&&", Kind::kAnd},
        {"||", Kind::kOr},
        {"=", Kind::kCompare},
        {"!", Kind::kNot},
        {"<", Kind::kCompare},
        {">", Kind::kCompare},
        {".", Kind::kConcat},
        {"(", Kind::kOpen},
        {")", Kind::kClose},
        {"{", Kind::kOpenBrace},
        {"}", Kind::kCloseBrace},
        {",", Kind::kComma},
    }};
    std::string_view rest = text_.substr(pos_);
    for (const Spelling& s : kSpellings) {
      if (rest.substr(0, s.text.size()) == s.text) {
        pos_ += s.text.size();
        return token(s.kind, true);
      }
    }
    return unexpected_character();
  }

  bool unexpected_character() {
    switch (byte(pos_)) {
      case '&':
        return invalid(pos_, "unexpected character (for \"and\" write && or and)");
      case '|':
        return invalid(pos_, "unexpected character (for \"or\" write || or or)");
      case '\0':
        return invalid(pos_, "unexpected NUL byte");
      case '\r':
      case '\f':
      case '\v':
        return invalid(pos_,
                       "unexpected control character (only spaces, tabs and line feeds "
                       "may separate words)");
      default:
        return invalid(pos_, "unexpected character");
    }
  }

  // A "..." or '...' string with \ escapes, %{VARIABLE} and $1 inside.
  bool scan_string() {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    std::size_t piece = 0;
    cur_.kind = Kind::kString;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        return invalid(start, std::string("unterminated string (no closing ") + quote + ")");
      }
      char c = text_[pos_];
      if (c == quote) return skip(1);
      if (!scan_piece_byte(start, piece, 0)) return false;
      if (piece > kMaxSslRequireLiteral) return literal_too_long(start, "string");
    }
  }

  // One element of a string or %{NAME:argument}: a byte, an escape, a nested %{...} (at nesting
  // `depth`) or a $1. `piece` counts the bytes since the last %{...} or $1, as ap_expr's buffer
  // does.
  bool scan_piece_byte(std::size_t start, std::size_t& piece, int depth) {
    unsigned char c = byte(pos_);
    if (c == '\0' && pos_ < text_.size()) return invalid(pos_, "unexpected NUL byte");
    if (c == '%' && at(pos_ + 1, '{')) {
      piece = 0;
      return scan_variable(depth);
    }
    if (c == '$' && is_digit(byte(pos_ + 1))) {
      piece = 0;
      return skip(2);
    }
    ++piece;
    if (c == '\\') return scan_escape(start);
    ++pos_;
    return true;
  }

  bool scan_escape(std::size_t start) {
    std::size_t digits = pos_ + 1;
    while (is_digit(byte(digits))) ++digits;
    std::size_t count = digits - pos_ - 1;
    if (count > 0) return scan_octal_escape(count);
    if (byte(pos_ + 1) == 'x' && is_hex(byte(pos_ + 2))) {
      pos_ += is_hex(byte(pos_ + 3)) ? 4 : 3;
      return true;
    }
    if (pos_ + 1 >= text_.size()) {
      return invalid(start, "unterminated string (it ends in a backslash)");
    }
    if (byte(pos_ + 1) == '\0') return invalid(pos_ + 1, "unexpected NUL byte");
    pos_ += 2;
    return true;
  }

  // ap_expr takes every digit after a backslash: 1 to 3 octal digits up to \377 are a byte,
  // anything else is refused.
  bool scan_octal_escape(std::size_t count) {
    std::string_view digits = text_.substr(pos_ + 1, count);
    bool octal = count <= 3 && std::all_of(digits.begin(), digits.end(), [](char d) {
                   return is_octal(static_cast<unsigned char>(d));
                 });
    if (!octal) {
      return invalid(pos_,
                     "bad escape: a backslash followed by digits must be an octal byte "
                     "(\\0 to \\377)");
    }
    int value = 0;
    for (char d : digits) value = value * 8 + (d - '0');
    if (value > 0377) return invalid(pos_, "escape out of range: octal bytes end at \\377");
    pos_ += 1 + count;
    return true;
  }

  bool literal_too_long(std::size_t start, std::string_view what) {
    return invalid(start, std::string(what) + " longer than ap_expr's limit of " +
                              std::to_string(kMaxSslRequireLiteral) + " bytes");
  }

  // %{NAME} or %{NAME:argument}; pos_ is at the '%'.
  bool scan_variable(int depth) {
    const std::size_t start = pos_;
    if (depth >= kMaxSslRequireNesting) return too_deep(start);
    pos_ += 2;
    if (!is_alpha(byte(pos_))) {
      if (pos_ >= text_.size()) return invalid(start, "unterminated variable (no closing })");
      return invalid(pos_, "expected a variable name starting with a letter after '%{'");
    }
    while (is_name_char(byte(pos_))) ++pos_;
    if (pos_ >= text_.size()) return invalid(start, "unterminated variable (no closing })");
    if (text_[pos_] == '}') return skip(1);
    if (text_[pos_] == ':') return scan_variable_argument(start, depth);
    return invalid(pos_,
                   "invalid character in variable name (names are letters, digits and _; "
                   "expected } or :)");
  }

  // The argument of %{HTTP:Header}, %{ENV:x}, ...: anything up to }, except quotes.
  bool scan_variable_argument(std::size_t start, int depth) {
    const std::size_t arg = ++pos_;
    std::size_t piece = 0;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        return invalid(start, "unterminated variable (no closing })");
      }
      char c = text_[pos_];
      if (c == '}' && pos_ == arg) return invalid(pos_, "expected an argument after ':'");
      if (c == '}') return skip(1);
      if (c == '"' || c == '\'')
        return invalid(pos_, "quotes are not allowed in %{NAME:argument} (is its } missing?)");
      if (!scan_piece_byte(start, piece, depth + 1)) return false;
      if (piece > kMaxSslRequireLiteral) return literal_too_long(start, "variable argument");
    }
  }

  // The body of /regex/ or m#regex#: no escapes, it ends at the first delimiter; then an
  // optional i.
  bool scan_regex(std::size_t body, char delimiter) {
    const std::size_t start = pos_;
    cur_.kind = Kind::kRegex;
    std::size_t close = text_.find(delimiter, body);
    if (close == std::string_view::npos) {
      return invalid(start,
                     std::string("unterminated regular expression (no closing ") + delimiter + ")");
    }
    // Only the body is searched, so many regexes still cost one pass over the text.
    auto nul = std::find(text_.begin() + body, text_.begin() + close, '\0');
    if (nul != text_.begin() + close)
      return invalid(static_cast<std::size_t>(nul - text_.begin()), "unexpected NUL byte");
    if (close - body > kMaxSslRequireLiteral) return literal_too_long(start, "regular expression");
    pos_ = close + 1;
    if (at(pos_, 'i')) ++pos_;
    return true;
  }

  // ---- parser ----

  static bool starts_value(Kind k) {
    return k == Kind::kNumber || k == Kind::kString || k == Kind::kVariable ||
           k == Kind::kBackref || k == Kind::kName;
  }

  // `||` binds loosest, then `&&`, then `!`; precedence does not change what parses, but the
  // layering keeps the recursion to one level per parenthesis.
  bool parse_condition(int depth) {
    if (!parse_conjunction(depth)) return false;
    while (cur_.kind == Kind::kOr) {
      if (!advance() || !parse_conjunction(depth)) return false;
    }
    return true;
  }

  bool parse_conjunction(int depth) {
    if (!parse_negation(depth)) return false;
    while (cur_.kind == Kind::kAnd) {
      if (!advance() || !parse_negation(depth)) return false;
    }
    return true;
  }

  // A loop, not recursion: "!!!!..." must not grow the stack.
  bool parse_negation(int depth) {
    while (cur_.kind == Kind::kNot) {
      if (!advance()) return false;
    }
    return parse_primary(depth);
  }

  bool parse_primary(int depth) {
    switch (cur_.kind) {
      case Kind::kTrue:
      case Kind::kFalse:
        return advance();
      case Kind::kOpen:
        return parse_group(depth);
      case Kind::kUnary:
        return advance() && parse_word(depth);
      default:
        break;
    }
    if (starts_value(cur_.kind)) return parse_word(depth) && parse_comparison(depth);
    if (unknown_operator()) return false;
    return expected(kCondition);
  }

  bool parse_group(int depth) {
    const std::size_t open = cur_.begin;
    if (depth >= kMaxSslRequireNesting) return too_deep(open);
    if (!advance() || !parse_condition(depth + 1)) return false;
    if (cur_.kind != Kind::kClose) {
      return expected("')' to close the '(' at column " + std::to_string(open + 1) +
                      ", or && or ||");
    }
    return advance();
  }

  bool parse_comparison(int depth) {
    switch (cur_.kind) {
      case Kind::kCompare:
      case Kind::kBinary:
        return advance() && parse_word(depth);
      case Kind::kMatch:
        return advance() && parse_regex();
      case Kind::kIn:
        return advance() && parse_list(depth);
      default:
        return expected(kOperator);
    }
  }

  bool parse_regex() {
    if (cur_.kind == Kind::kRegex) return advance();
    if (unknown_operator()) return false;
    return expected(kRegexShape);
  }

  // word ::= part ("." part)*
  bool parse_word(int depth) {
    if (!parse_word_part(depth)) return false;
    while (cur_.kind == Kind::kConcat) {
      if (!advance() || !parse_word_part(depth)) return false;
    }
    return true;
  }

  bool parse_word_part(int depth) {
    switch (cur_.kind) {
      case Kind::kNumber:
      case Kind::kString:
      case Kind::kVariable:
      case Kind::kBackref:
        return advance();
      case Kind::kName:
        return parse_call(depth);
      default:
        if (unknown_operator()) return false;
        return expected(kValue);
    }
  }

  // name "(" word ")": both string functions (toupper, file, ...) and list functions
  // (PeerExtList) take exactly one argument.
  bool parse_call(int depth) {
    const Token name = cur_;
    if (depth >= kMaxSslRequireNesting) return too_deep(name.begin);
    if (!advance()) return false;
    if (cur_.kind != Kind::kOpen) return bare_word(name);
    if (!advance() || !parse_word(depth + 1)) return false;
    if (cur_.kind != Kind::kClose) {
      return expected("')' to close the call of '" + excerpt(text_, name.begin, name.end) +
                      "' (functions take one argument)");
    }
    return advance();
  }

  // A name not followed by "(" is usually a forgotten quote or an upper-case keyword.
  bool bare_word(const Token& name) {
    std::string_view word = text_.substr(name.begin, name.end - name.begin);
    std::string hint = lower_case_keyword(word)
                           ? "keywords and operators are lower case"
                           : "a bare word is not a value: write strings in quotes and "
                             "variables as %{NAME}";
    return fail_at(cur_.begin, "expected '(' after the function name '" +
                                   excerpt(text_, name.begin, name.end) + "' but found " + found() +
                                   " (" + hint + ")");
  }

  bool parse_list(int depth) {
    if (cur_.kind == Kind::kName) return parse_call(depth);
    if (cur_.kind != Kind::kOpenBrace) return expected(kListShape);
    if (!advance()) return false;
    if (cur_.kind == Kind::kCloseBrace) {
      return fail_at(cur_.begin, "empty list: expected " + std::string(kValue) +
                                     " between { and } but found " + found());
    }
    if (!parse_word(depth)) return false;
    while (cur_.kind == Kind::kComma) {
      if (!advance() || !parse_word(depth)) return false;
    }
    if (cur_.kind != Kind::kCloseBrace) return expected("',' or '}' in the list");
    return advance();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  Token cur_;
  Token prev_;
  bool have_token_ = false;
  bool have_prev_ = false;
  std::string error_;
};

}  // namespace

Status check_ssl_require_syntax(std::string_view text) {
  return Checker(text).run();
}

}  // namespace modssl::config
