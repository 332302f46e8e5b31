#pragma once
// winclip: WinCLIP and WinCLIP+ (Jeong et al., CVPR 2023) zero-/few-shot visual anomaly detection on CPU.
// This header gives the whole public API. Link winclip::winclip (find_package(winclip CONFIG)) or
// `pkg-config --cflags --libs winclip`.
//
//   #include <winclip/winclip.hpp>
//
//   std::shared_ptr<const winclip::ClipModel> model =
//       winclip::ClipModel::load("models/ViT-B-16-plus-240", {.precision = winclip::Precision::Auto});
//   winclip::DetectorOptions options;
//   options.class_name = "bottle";                       // zero-shot: the product's name is all it needs
//   winclip::Detector detector(model, options);
//   detector.add_references({winclip::decode_image("good.png")});  // optional: WinCLIP+ with k normal images
//   winclip::Detection d = detector.score(winclip::decode_image("photo.png"));
//   std::printf("%.6f\n", d.score);                      // image-level anomaly probability
//   winclip::write_npy("photo.npy", d.map);              // [S, S] anomaly map at the model's input size
//
// Every failure is a winclip::Error (a std::runtime_error) whose message names the file, field or tensor.
// Threads: see detector.hpp and model.hpp. examples/ holds complete programs.

#include "winclip/error.hpp"
#include "winclip/tensor.hpp"
#include "winclip/image.hpp"
#include "winclip/npy.hpp"
#include "winclip/progress.hpp"
#include "winclip/model_config.hpp"
#include "winclip/random_model.hpp"
#include "winclip/model_store.hpp"
#include "winclip/preprocess.hpp"
#include "winclip/model.hpp"
#include "winclip/prompts.hpp"
#include "winclip/reference_bank.hpp"
#include "winclip/detector.hpp"
#include "winclip/threshold_calibration.hpp"
#include "winclip/overlay.hpp"
#include "winclip/detection_writer.hpp"
#include "winclip/datasets.hpp"
#include "winclip/metrics.hpp"
#include "winclip/eval.hpp"
