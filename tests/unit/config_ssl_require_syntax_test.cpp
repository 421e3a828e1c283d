// SSLRequire syntax checker: accepts what httpd 2.4's ap_expr accepts in mod_ssl compatibility
// mode, and explains refusals with a column, an excerpt and what was expected. The accepted and
// refused cases were checked against stock httpd 2.4 (`apache2 -t` with stock mod_ssl).
#include <gtest/gtest.h>

#include <string>

#include "config/ssl_require_syntax.h"

namespace modssl::config {
namespace {

// Failure output shows at most the start of a (possibly huge) text.
std::string shown(std::string_view text) {
  return std::string(text.substr(0, 120));
}

std::string error_of(std::string_view text) {
  Status s = check_ssl_require_syntax(text);
  return s.ok() ? std::string("<accepted>") : s.error();
}

// The error starts with "column N: " and contains `phrase`.
void expect_error(std::string_view text, int column, std::string_view phrase) {
  std::string error = error_of(text);
  std::string prefix = "column " + std::to_string(column) + ": ";
  EXPECT_EQ(error.rfind(prefix, 0), 0u) << "text: " << shown(text) << "\nerror: " << error;
  EXPECT_NE(error.find(phrase), std::string::npos)
      << "text: " << shown(text) << "\nerror: " << error;
}

void expect_ok(std::string_view text) {
  Status s = check_ssl_require_syntax(text);
  EXPECT_TRUE(s.ok()) << "text: " << shown(text) << "\nerror: " << (s.ok() ? "" : s.error());
}

TEST(SslRequireSyntax, AcceptsTheManualsExamples) {
  expect_ok(
      "( %{SSL_CIPHER} !~ m/^(EXP|NULL)-/ and %{SSL_CLIENT_S_DN_O} eq \"Snake Oil, Ltd.\" "
      "and %{SSL_CLIENT_S_DN_OU} in {\"Staff\", \"CA\", \"Dev\"} and %{TIME_WDAY} -ge 1 "
      "and %{TIME_WDAY} -le 5 and %{TIME_HOUR} -ge 8 and %{TIME_HOUR} -le 20 ) "
      "or %{REMOTE_ADDR} =~ m/^192\\.76\\.162\\.[0-9]+$/");
  expect_ok(
      "( %{SSL_CIPHER} !~ m/^(EXP|NULL)-/ && %{SSL_CLIENT_S_DN_O} eq \"Snake Oil, Ltd.\" "
      "&& %{SSL_CLIENT_S_DN_OU} in {\"Staff\", \"CA\", \"Dev\"} && %{TIME_WDAY} >= 1 "
      "&& %{TIME_WDAY} <= 5 && %{TIME_HOUR} >= 8 && %{TIME_HOUR} <= 20 ) "
      "|| %{REMOTE_ADDR} =~ m/^192\\.76\\.162\\.[0-9]+$/");
  expect_ok("%{SSL_CLIENT_S_DN_CN} in PeerExtList(\"1.2.3.4.5.6\")");
  expect_ok("file(\"/etc/passwd\") =~ /root/");
  expect_ok("%{SSL_CLIENT_VERIFY} eq \"SUCCESS\"");
  expect_ok("true");
  expect_ok("!(%{HTTPS} == 'on')");
}

TEST(SslRequireSyntax, AcceptsEveryComparisonOperator) {
  for (const char* op :
       {"==",  "=",   "!=",  "<",        "<=",        ">",          ">=",      "eq",
        "ne",  "lt",  "le",  "gt",       "ge",        "-eq",        "-ne",     "-lt",
        "-le", "-gt", "-ge", "-ipmatch", "-strmatch", "-strcmatch", "-fnmatch"}) {
    expect_ok(std::string("%{REMOTE_ADDR} ") + op + " \"10.0.0.0/8\"");
  }
  expect_ok("1-eq 1");  // the scanner needs no space before a -operator
  expect_ok("-1 -lt 0");
}

TEST(SslRequireSyntax, AcceptsLogicAndItsSpellings) {
  expect_ok("true && false || !true");
  expect_ok("true and false or not true");
  expect_ok("! ! ! true");
  expect_ok("((true)) && (false || (true))");
  expect_ok("%{HTTPS} == \"on\"and true");  // "and" needs no space before it
  expect_ok("false\t||\ntrue");             // tab and line feed separate words
}

TEST(SslRequireSyntax, AcceptsUnaryOperators) {
  for (const char* op :
       {"-n", "-z", "-R", "-T", "-e", "-f", "-s", "-d", "-L", "-h", "-F", "-U", "-A"}) {
    expect_ok(std::string(op) + " %{SSL_CLIENT_S_DN_CN}");
  }
  expect_ok("-f \"/etc/hosts\" && -n %{HTTPS}");
}

TEST(SslRequireSyntax, AcceptsLists) {
  expect_ok("%{SSL_PROTOCOL} in {\"TLSv1.2\"}");
  expect_ok("%{SSL_PROTOCOL} -in {\"TLSv1.2\",\"TLSv1.3\" , 'x'}");
  expect_ok("\"1.2.3\" in peerextlist(\"1.2.3\")");  // a name's case is ap_expr's business
}

TEST(SslRequireSyntax, AcceptsRegexSpellings) {
  for (const char* re :
       {"/x/", "/x/i", "m/x/", "m#x#i", "m,x,", "m|x|", "m!x!", "m'x'", "m\"x\"", "m-x-", "m_ x_",
        "m:x:", "m;x;", "m.x.", "m?x?", "m^x^", "m$x$", "m%x%", "//"}) {
    expect_ok(std::string("%{HTTPS} =~ ") + re);
  }
  expect_ok("%{HTTPS} =~ /x/iand true");  // the i flag, then "and"
  expect_ok("%{HTTPS} =~ /a\\d+|[/");     // a regex is not checked here: ap_expr compiles it
}

TEST(SslRequireSyntax, AcceptsStringsVariablesAndFunctions) {
  expect_ok("%{HTTPS} == ''");
  expect_ok("%{HTTPS} == \"a'b\" || %{HTTPS} == 'a\"b' || %{HTTPS} == \"a\\\"b\"");
  expect_ok("%{HTTPS} == \"\\n\\t\\q\\377\\0\\x41\\\\\"");
  expect_ok("%{HTTPS} == \"on-%{SSL_PROTOCOL}-$1 and %x $ $x\"");
  expect_ok("%{HTTP:Host} == %{ENV:x} && %{SSL:SSL_CIPHER} == %{HTTP:a b:c{d\\}e}");
  expect_ok("%{HTTP:%{HTTPS}x$1} == $9");
  expect_ok("toupper( \"a\" ) == tolower (%{HTTPS}) . \"x\" . 1.2");
  expect_ok("md5(base64(escape(%{REMOTE_ADDR}))) != \"\"");
  expect_ok(std::string("%{HTTPS} == \"a\x01\x7f\xff\tb\""));  // ap_expr keeps these bytes
}

TEST(SslRequireSyntax, AcceptsLongLiteralsUpToApExprsBuffer) {
  std::string piece(kMaxSslRequireLiteral, 'a');
  expect_ok("%{HTTPS} == \"" + piece + "\"");
  expect_ok("%{HTTPS} == \"" + piece + "%{HTTPS}" + piece + "\"");  // %{...} starts a new piece
  expect_ok("%{HTTPS} =~ /" + piece + "/");
  expect_ok("%{HTTP:" + piece + "} == 1");
  expect_ok(std::string(100000, '1') + " == 1");  // numbers and names have no such limit
}

TEST(SslRequireSyntaxErrors, MissingOperand) {
  expect_error("(%{SSL_CIPHER} == )", 19,
               "expected a value (a number, a \"string\", %{VARIABLE} or a function call) after "
               "'==' but found ')'");
  expect_error("%{HTTPS} ==", 12, "after '==' but found the end of the expression");
  expect_error("%{HTTPS} -eq", 13, "expected a value");
  expect_error("true &&", 8, "expected a condition");
  expect_error("true or", 8, "expected a condition");
  expect_error("-n", 3, "expected a value");
  expect_error("== 1", 1, "expected a condition");
  expect_error("%{HTTPS}", 9, "expected an operator");
  expect_error("true and and true", 10, "expected a condition (true, false");
}

TEST(SslRequireSyntaxErrors, UnbalancedParentheses) {
  expect_error("(true", 6, "expected ')' to close the '(' at column 1");
  expect_error("((true) && false", 17, "to close the '(' at column 1");
  expect_error("true)", 5,
               "expected &&, || or the end of the expression after 'true' but found ')'");
  expect_error("()", 2, "expected a condition");
  expect_error("(\"a\") == \"a\"", 5, "expected an operator");  // a value cannot be parenthesised
  expect_error("toupper(\"a\"", 12, "expected ')' to close the call of 'toupper'");
  expect_error("toupper(\"a\", \"b\") == 1", 12, "functions take one argument");
  expect_error("toupper() == 1", 9, "expected a value");
}

TEST(SslRequireSyntaxErrors, UnterminatedString) {
  expect_error("%{HTTPS} == \"on", 13, "unterminated string (no closing \") at '\"on'");
  expect_error("%{HTTPS} == 'on", 13, "unterminated string (no closing ')");
  expect_error("%{HTTPS} == \"on\\", 13, "ends in a backslash");
  expect_error("%{HTTPS} == \"o\nn\"", 13, "unterminated string");
}

TEST(SslRequireSyntaxErrors, BadEscapes) {
  expect_error("%{HTTPS} == \"\\400\"", 14, "escape out of range");
  expect_error("%{HTTPS} == \"a\\9\"", 15, "bad escape");
  expect_error("%{HTTPS} == \"a\\18\"", 15, "bad escape");
  expect_error("%{HTTPS} == \"a\\1234\"", 15, "bad escape");
}

TEST(SslRequireSyntaxErrors, UnterminatedOrMalformedVariable) {
  expect_error("%{HTTPS", 1, "unterminated variable (no closing })");
  expect_error("%{HTTP:Host == 1", 1, "unterminated variable");
  expect_error("%{", 1, "unterminated variable");
  expect_error("%{} == 1", 3, "expected a variable name");
  expect_error("%{ HTTPS} == 1", 3, "expected a variable name");
  expect_error("%{SSL-X} == 1", 6, "invalid character in variable name");
  expect_error("%{HTTP:} == 1", 8, "expected an argument after ':'");
  expect_error("%{HTTP:a\"b} == 1", 9, "quotes are not allowed");
  expect_error("%{HTTPS} == \"%{HTTPS\"", 21, "invalid character in variable name");
  expect_error("% {HTTPS} == 1", 1, "unexpected character");
}

TEST(SslRequireSyntaxErrors, UnterminatedRegex) {
  expect_error("%{HTTPS} =~ /abc", 13, "unterminated regular expression (no closing /)");
  expect_error("%{HTTPS} =~ m#abc", 13, "unterminated regular expression (no closing #)");
  expect_error("%{HTTPS} =~ \"abc\"", 13, "expected a regular expression");
  expect_error("%{HTTPS} =~ m{x}", 13, "expected a regular expression");
  expect_error("%{HTTPS} =~ /x/ismg", 17, "expected &&, || or the end");  // only i is a flag
}

TEST(SslRequireSyntaxErrors, EmptyInput) {
  expect_error("", 1, "expected a condition (true, false, !, ( or a comparison");
  expect_error("   \t ", 6, "at the start but found the end of the expression");
}

TEST(SslRequireSyntaxErrors, Lists) {
  expect_error("%{HTTPS} in {}", 14, "empty list");
  expect_error("%{HTTPS} in {\"a\",}", 18, "expected a value");
  expect_error("%{HTTPS} in {\"a\" \"b\"}", 18, "expected ',' or '}' in the list");
  expect_error("%{HTTPS} in {\"a\", \"b\"", 22, "expected ',' or '}'");
  expect_error("%{HTTPS} in (\"a\")", 13, "expected a list");
  expect_error("%{HTTPS} in \"a\"", 13, "expected a list");
}

TEST(SslRequireSyntaxErrors, StrayTokensAfterACompleteExpression) {
  expect_error("\"a\" == \"a\" true", 12, "expected &&, || or the end of the expression");
  expect_error("%{HTTPS}} == \"a\"", 9, "expected an operator");
  expect_error("true false", 6, "but found 'false'");
  expect_error("true(\"x\")", 5, "expected &&, ||");
}

TEST(SslRequireSyntaxErrors, UnknownOperators) {
  expect_error("%{HTTPS} === \"on\"", 10, "unknown operator '==='");
  expect_error("%{HTTPS} <> \"on\"", 10, "unknown operator '<>'");
  expect_error("%{HTTPS} =! \"on\"", 10, "unknown operator '=!'");
  expect_error("true & true", 6, "for \"and\" write && or and");
  expect_error("true | true", 6, "for \"or\" write || or or");
  expect_error("- true", 1, "a '-' must start an operator");
  expect_error("%{HTTPS} ~= \"on\"", 10, "unexpected character");
}

TEST(SslRequireSyntaxErrors, BareWords) {
  expect_error("%{HTTPS} == on", 15,
               "expected '(' after the function name 'on' but found the end of the expression");
  expect_error("%{HTTPS} == on", 15, "strings in quotes");
  expect_error("TRUE", 5, "keywords and operators are lower case");
  expect_error("%{HTTPS} EQ \"on\"", 10, "expected an operator");
  expect_error("12abc == 1", 3, "expected an operator");
}

TEST(SslRequireSyntaxErrors, LiteralsLongerThanApExprsBuffer) {
  std::string piece(kMaxSslRequireLiteral + 1, 'a');
  expect_error("%{HTTPS} == \"" + piece + "\"", 13, "string longer than ap_expr's limit of 8191");
  expect_error("%{HTTPS} =~ /" + piece + "/", 13, "regular expression longer than");
  expect_error("%{HTTP:" + piece + "} == 1", 1, "variable argument longer than");
  // Escapes count as the one byte they stand for.
  std::string escaped;
  for (std::size_t i = 0; i < kMaxSslRequireLiteral; ++i) escaped += "\\n";
  expect_ok("%{HTTPS} == \"" + escaped + "\"");
}

TEST(SslRequireSyntaxErrors, ExcerptIsShortAndPrintable) {
  std::string error = error_of("%{HTTPS} == ) \x01\x7f\xff and then a great deal more text");
  EXPECT_NE(error.find("but found ') \\x01\\x7F\\xFF and then a great deal mo...'"),
            std::string::npos)
      << error;
  error = error_of("%{HTTPS} == \"" + std::string(500, 'x') + "\" )");
  EXPECT_NE(error.find("after '\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"), std::string::npos) << error;
  EXPECT_LT(error.size(), 400u) << error;
}

TEST(SslRequireSyntaxHostile, DeepNestingIsRefusedNotACrash) {
  std::string parens(10000, '(');
  expect_error(parens + "true" + std::string(10000, ')'), 65, "nested too deeply");
  expect_error(parens, 65, "nested too deeply");
  std::string calls;
  for (int i = 0; i < 10000; ++i) calls += "toupper(";
  expect_error(calls, 1 + 64 * 8, "nested too deeply");
  std::string vars;
  for (int i = 0; i < 10000; ++i) vars += "%{HTTP:";
  expect_error(vars, 1 + 64 * 7, "nested too deeply");
  expect_error("\"" + vars, 2 + 64 * 7, "nested too deeply");
  // 64 levels are fine; "!" repeats without nesting.
  expect_ok(std::string(64, '(') + "true" + std::string(64, ')'));
  expect_ok(std::string(100000, '!') + "true");
}

TEST(SslRequireSyntaxHostile, HugeInputs) {
  std::string as(1 << 20, 'a');
  expect_error(as, (1 << 20) + 1,
               "'(' after the function name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
  expect_error("%{HTTPS} == \"" + std::string(1 << 20, 'x') + "\"", 13, "longer than");
  expect_error("\"" + std::string(1 << 20, 'x'), 1, "string longer than");
  expect_error("%{HTTPS} =~ /" + std::string(1 << 20, 'x'), 13, "unterminated regular expression");
  std::string many;
  for (int i = 0; i < 50000; ++i) many += "%{HTTPS} =~ /x/ || ";
  expect_ok(many + "true");
  expect_error(many, static_cast<int>(many.size()) + 1, "expected a condition");
}

TEST(SslRequireSyntaxHostile, EmbeddedNul) {
  using namespace std::string_literals;
  expect_error("true\0 && true"s, 5, "unexpected NUL byte at '\\x00 && true'");
  expect_error("%{HTTPS} == \"a\0b\""s, 15, "unexpected NUL byte");
  expect_error("%{HTTPS} =~ /a\0b/"s, 15, "unexpected NUL byte");
  expect_error("%{HTTP:a\0b} == 1"s, 9, "unexpected NUL byte");
  expect_error("%{HTTPS} == \"a\\\0\""s, 16, "unexpected NUL byte");
  expect_error("\0"s, 1, "unexpected NUL byte");
}

TEST(SslRequireSyntaxHostile, EveryByteValueAnywhere) {
  // No byte may crash the checker, in any context; each answer names a column inside the text.
  for (int b = 0; b < 256; ++b) {
    std::string byte(1, static_cast<char>(b));
    for (const std::string& text :
         {byte, "%{HTTPS} == " + byte, "\"" + byte, "%{" + byte, "%{HTTP:" + byte, "/" + byte,
          "%{HTTPS} =~ m" + byte, "-" + byte, "\"\\" + byte, "(" + byte + ")",
          "%{HTTPS} in {" + byte}) {
      Status s = check_ssl_require_syntax(text);
      if (!s.ok()) {
        EXPECT_EQ(s.error().rfind("column ", 0), 0u) << s.error();
        EXPECT_LT(s.error().size(), 400u);
      }
    }
  }
  std::string all;
  for (int b = 255; b >= 0; --b) all += static_cast<char>(b);
  EXPECT_FALSE(check_ssl_require_syntax(all).ok());
  EXPECT_FALSE(check_ssl_require_syntax("\"" + all + "\"").ok());  // the NUL byte
}

}  // namespace
}  // namespace modssl::config
