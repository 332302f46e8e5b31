// winclip convert IN OUT.safetensors: rewrites any weight file winclip reads (a torch.save .bin/.pt, or
// safetensors in 16-bit floats) as float32 safetensors, which then load without a pickle in sight.
#include <algorithm>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"

namespace {

struct ConvertArgs {
  std::filesystem::path input;
  std::filesystem::path output;
};

int convert(const ConvertArgs& args) {
  using namespace winclip;
  if (args.output.extension() != ".safetensors") {
    throw Error(args.output.string(), "the output of convert must be a .safetensors file");
  }
  const WeightFile weights = WeightFile::open(args.input);
  std::vector<std::pair<std::string, Shape>> layout;
  int64_t values = 0;
  for (const TensorEntry& entry : weights.entries()) {
    layout.emplace_back(entry.name, entry.shape);
    values += shape_numel(entry.shape);
  }
  // One tensor at a time, so a large checkpoint is not held as float32 twice.
  save_safetensors(args.output, layout, [&](size_t i, std::span<float> out) {
    const std::vector<float> tensor = weights.load_f32(layout[i].first, layout[i].second);
    std::copy(tensor.begin(), tensor.end(), out.begin());
  });
  std::cout << "converted " << layout.size() << " tensors (" << values << " values) from " << args.input.string()
            << " to float32 " << args.output.string() << "\n";
  return 0;
}

const winclip::app::RegisterCommand convert_command{{
    "convert",
    "Convert a weight file (torch.save .bin/.pt or safetensors) to float32 safetensors",
    [](CLI::App& sub) {
      auto args = std::make_shared<ConvertArgs>();
      sub.add_option("IN", args->input, "torch.save .bin/.pt (its pickle is read, never run) or .safetensors")
          ->required();
      sub.add_option("OUT", args->output, "Output .safetensors file (replaced atomically)")->required();
      return std::function<int()>([args] { return convert(*args); });
    },
}};

}  // namespace
