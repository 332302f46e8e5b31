#include "support/fuzz_target.hpp"

#include "winclip/error.hpp"

namespace winclip::fuzz {

namespace {

std::map<std::string, Target>& registry() {
  static std::map<std::string, Target> map;
  return map;
}

}  // namespace

const std::map<std::string, Target>& targets() { return registry(); }

Registration::Registration(const char* name, Target target) { registry().emplace(name, target); }

void check(bool condition, const std::string& what) {
  if (!condition) throw ContractViolation(what);
}

bool read_or_refuse(std::string_view name, const std::function<void()>& read) {
  try {
    read();
    return true;
  } catch (const Error& e) {
    const std::string_view message = e.what();
    check(message.starts_with(name), "the error does not name the input '" + std::string(name) + "': " + e.what());
    return false;
  }
}

}  // namespace winclip::fuzz
