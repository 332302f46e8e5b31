#pragma once
// Pickles the restricted unpickler must refuse, each with the words its error must hold: run by
// test_pickle_reader.cpp on the unpickler, and through the command line (inside a torch.save archive) by the
// robustness table (tests/e2e/test_robustness_table.cpp).
#include <string>
#include <vector>

#include "torch_file_builder.hpp"

namespace winclip::test {

struct PickleRefusalCase {
  std::string name;  // names the case in the robustness table
  std::string bytes;
  std::string expected;  // in the Error message
};

inline std::vector<PickleRefusalCase> pickle_global_refusals() {
  using namespace pickle_op;
  using namespace std::string_literals;
  const std::string call = str("touch x") + "\x85R.";
  return {{"posix.system", kProto2 + global("posix", "system") + call, "refusing global 'posix.system'"},
          {"nt.system", kProto2 + global("nt", "system") + call, "refusing global 'nt.system'"},
          {"builtins.eval", kProto2 + global("builtins", "eval") + call, "refusing global 'builtins.eval'"},
          {"builtins.exec", kProto2 + global("builtins", "exec") + call, "refusing global 'builtins.exec'"},
          {"__builtin__.getattr", kProto2 + global("__builtin__", "getattr") + call,
           "refusing global '__builtin__.getattr'"},
          {"subprocess.Popen", kProto2 + global("subprocess", "Popen") + call, "refusing global 'subprocess.Popen'"},
          {"torch.load", kProto2 + global("torch", "load") + call, "refusing global 'torch.load'"},
          {"_rebuild_tensor", kProto2 + global("torch._utils", "_rebuild_tensor") + call,
           "refusing global 'torch._utils._rebuild_tensor'"},
          {"stack_global_os.system", "\x80\x04"s + short_str("os") + short_str("system") + "\x93" + call,
           "refusing global 'os.system'"}};
}

inline std::vector<PickleRefusalCase> pickle_opcode_refusals() {
  using namespace pickle_op;
  return {{"inst", kProto2 + "(ios\nsystem\n" + str("touch x") + ".", "refusing pickle opcode 0x69 ('i')"},
          {"newobj", kProto2 + "))\x81.", "refusing pickle opcode 0x81"},
          {"obj", kProto2 + "(o.", "refusing pickle opcode 0x6f ('o')"},
          {"ext1", kProto2 + "\x82\x01.", "refusing pickle opcode 0x82"},
          {"persid", kProto2 + "Pstorage\n.", "refusing pickle opcode 0x50 ('P')"},
          {"int", kProto2 + "I1\n.", "refusing pickle opcode 0x49 ('I')"},
          {"protocol6", "\x80\x06K\x01.", "unsupported pickle protocol"}};
}

inline std::vector<PickleRefusalCase> pickle_malformed_refusals() {
  using namespace pickle_op;
  return {{"reduce_storage", kProto2 + global("torch", "FloatStorage") + ")R.", "not an allow-listed callable"},
          {"ordereddict_args", kProto2 + global("collections", "OrderedDict") + "(]tR.", "OrderedDict() with arguments"},
          {"rebuild_no_args", kProto2 + global("torch._utils", "_rebuild_tensor_v2") + ")R.", "6 or 7 arguments"},
          {"bad_persistent_id", kProto2 + "(" + str("storage") + "tQ.", "persistent id is not"},
          {"build_on_list", kProto2 + "]}b.", "BUILD needs a dict"},
          {"append_to_dict", kProto2 + "}K\x01" + "a.", "APPEND needs a list"},
          {"memo_unset", kProto2 + "h\x05.", "memo key 5 was never stored"},
          {"no_stop", kProto2 + "K\x01", "no STOP"},
          {"truncated_string", kProto2 + "X\xff\x00\x00\x00" + "ab.", "truncated"},
          {"stack_underflow", kProto2 + "](a.", "stack underflow"},
          {"odd_setitems", kProto2 + "}(K\x01" + "u.", "odd number"},
          {"long_65_bits", kProto2 + "\x8a\x09" + std::string(9, '\x01') + ".", "wider than 64 bits"},
          {"stop_empty", kProto2 + ".", "STOP with an empty stack"}};
}

}  // namespace winclip::test
