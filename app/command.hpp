#pragma once
// Subcommands register themselves here; main.cpp only builds the CLI11 tree and dispatches.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace winclip::app {

// setup() adds options to `sub` and returns the action to run when the subcommand is chosen; the action
// returns the process exit code.
struct Command {
  std::string name;
  std::string description;
  std::function<std::function<int()>(CLI::App& sub)> setup;
};

std::vector<Command>& command_registry();

struct RegisterCommand {
  explicit RegisterCommand(Command command) { command_registry().push_back(std::move(command)); }
};

}  // namespace winclip::app
