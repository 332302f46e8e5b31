#pragma once
// Data files shipped with the program: the BPE vocabulary, built-in model configs, the known-model table.
#include <filesystem>
#include <string>

namespace winclip {

// $WINCLIP_ASSETS if set, else share/winclip found beside the library or the program (installed or in the
// build tree); an Error naming the places looked in otherwise.
std::filesystem::path assets_dir();

// assets_dir()/relative, or an Error naming the missing file.
std::filesystem::path asset_path(const std::string& relative);

}  // namespace winclip
