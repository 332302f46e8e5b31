// `winclip encode-image` and `winclip encode-text`: CLIP embeddings as .npy files.
#include <iostream>

#include "command.hpp"
#include "model_args.hpp"
#include "winclip/image.hpp"
#include "winclip/npy.hpp"
#include "winclip/preprocess.hpp"
#include "text/tokenizer.hpp"

namespace winclip::app {
namespace {

struct EncodeImageArgs {
  ModelArgs model;
  std::string resize = "squash";
  std::string out, tokens_out;
  std::vector<std::string> images;
};

int encode_images(const EncodeImageArgs& args) {
  const auto model = args.model.load();
  const ResizeMode mode = parse_resize_mode(args.resize);
  const int size = model->image_size();
  const auto n = static_cast<int64_t>(args.images.size());
  const int64_t e = model->embed_dim(), p = static_cast<int64_t>(model->grid()) * model->grid();
  Tensor embeddings({n, e});
  Tensor tokens = args.tokens_out.empty() ? Tensor() : Tensor({n, p, model->config().vision.width});
  // One image per pass keeps memory flat for long argument lists; results do not depend on batching.
  for (int64_t i = 0; i < n; ++i) {
    Tensor input = preprocess(decode_image(args.images[i]), size, mode, model->config().preprocess);
    input.shape.insert(input.shape.begin(), 1);
    const VisionResult r = model->encode_images(input);
    std::copy(r.image_embeddings.data.begin(), r.image_embeddings.data.end(), embeddings.ptr() + i * e);
    if (!args.tokens_out.empty())
      std::copy(r.patch_tokens.data.begin(), r.patch_tokens.data.end(), tokens.ptr() + i * r.patch_tokens.numel());
  }
  write_npy(args.out, embeddings);
  if (!args.tokens_out.empty()) write_npy(args.tokens_out, tokens);
  std::cerr << "wrote " << args.out << " " << shape_string(embeddings.shape) << "\n";
  return 0;
}

const RegisterCommand encode_image_command{{
    "encode-image", "Write the CLIP image embeddings (N×E float32 .npy) of images, in argument order",
    [](CLI::App& sub) {
      auto args = std::make_shared<EncodeImageArgs>();
      args->model.add_to(sub);
      sub.add_option("--resize", args->resize, "squash (resize to S×S) or shortest (shorter side to S, centre crop)")
          ->check(CLI::IsMember({"squash", "shortest"}));
      sub.add_option("--out", args->out, "output .npy of image embeddings")->required();
      sub.add_option("--tokens-out", args->tokens_out, "also write the N×P×W patch tokens (after ln_post)");
      sub.add_option("images", args->images, "image files")->required();
      return std::function<int()>([args] { return encode_images(*args); });
    }}};

struct EncodeTextArgs {
  ModelArgs model;
  std::string out;
  std::vector<std::string> texts;
};

int encode_texts(const EncodeTextArgs& args) {
  const auto model = args.model.load();
  const Tokenizer& tokenizer = Tokenizer::default_instance();
  std::vector<std::vector<int32_t>> ids;
  for (const auto& text : args.texts) ids.push_back(tokenizer.tokenize(text, model->config().text.context_length));
  const Tensor embeddings = model->encode_text(ids);
  write_npy(args.out, embeddings);
  std::cerr << "wrote " << args.out << " " << shape_string(embeddings.shape) << "\n";
  return 0;
}

const RegisterCommand encode_text_command{{
    "encode-text", "Write the CLIP text embeddings (N×E float32 .npy) of texts, in argument order",
    [](CLI::App& sub) {
      auto args = std::make_shared<EncodeTextArgs>();
      args->model.add_to(sub);
      sub.add_option("--out", args->out, "output .npy")->required();
      sub.add_option("texts", args->texts, "texts")->required();
      return std::function<int()>([args] { return encode_texts(*args); });
    }}};

}  // namespace
}  // namespace winclip::app
