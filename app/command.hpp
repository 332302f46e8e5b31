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

// A list option takes one value per occurrence (split at commas where it has a delimiter) and is repeated
// for more: CLI11 would otherwise let it swallow the positional arguments after it, so that
// `--ref good.png a.png b.png` silently made a.png a reference.
inline CLI::Option* one_value_per_occurrence(CLI::Option* option) { return option->allow_extra_args(false); }

struct RegisterCommand {
  explicit RegisterCommand(Command command) { command_registry().push_back(std::move(command)); }
};

}  // namespace winclip::app
