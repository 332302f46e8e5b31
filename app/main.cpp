// The winclip program: parses the command line and hands over to one subcommand.
#include <algorithm>
#include <iostream>

#include "command.hpp"
#include "winclip/error.hpp"

namespace winclip::app {
std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace winclip::app

int main(int argc, char** argv) {
  using namespace winclip::app;
  CLI::App app{"winclip: zero-/few-shot visual anomaly detection with CLIP (WinCLIP, WinCLIP+)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "winclip 0.1.0");

  auto& commands = command_registry();
  std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  std::function<int()> action;
  for (auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    auto run = command.setup(*sub);
    sub->callback([&action, run] { action = run; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return action ? action() : 0;
  } catch (const winclip::Error& e) {
    std::cerr << "winclip: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "winclip: error: " << e.what() << "\n";
    return 1;
  }
}
