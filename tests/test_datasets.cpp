// Dataset layouts (MVTec-AD, VisA 1cls split, folders), ground-truth masks and the few-shot reference draw.
#include <gtest/gtest.h>

#include <fstream>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/datasets.hpp"
#include "winclip/error.hpp"
#include "eval/ground_truth.hpp"
#include "eval/reference_draw.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> keys(const Category& c) {
  std::vector<std::string> k;
  for (const auto& t : c.test) k.push_back(t.key());
  return k;
}

DatasetSource mvtec(const fs::path& root) { return {.kind = DatasetKind::MVTec, .root = root}; }

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST(Datasets, MvtecListsClassFoldersWithATestFolderSorted) {
  test::TempDir root;
  test::make_mvtec_category(root.path(), "zipper", {});
  test::make_mvtec_category(root.path(), "bottle", {});
  fs::create_directories(root / "not_a_class/train");  // no test/: ignored
  write_text(root / "license.txt", "x");
  EXPECT_EQ(list_categories(mvtec(root.path())), (std::vector<std::string>{"bottle", "zipper"}));

  test::TempDir empty;
  EXPECT_NE(error_of([&] { list_categories(mvtec(empty.path())); }).find("no MVTec-AD class folders"),
            std::string::npos);
}

TEST(Datasets, MvtecCategoryHasTrainTestLabelsAndMaskPaths) {
  test::TempDir root;
  test::make_mvtec_category(root.path(), "bottle",
                            {.train = 3, .good = 2, .defects = {"hole", "crack"}, .per_defect = 2});
  const Category c = load_category(mvtec(root.path()), "bottle");
  EXPECT_EQ(c.name, "bottle");
  ASSERT_EQ(c.train.size(), 3u);
  EXPECT_EQ(c.train[0], root / "bottle/train/good/000.png");
  EXPECT_EQ(keys(c),
            (std::vector<std::string>{"crack/000", "crack/001", "good/000", "good/001", "hole/000", "hole/001"}));
  const TestImage& crack = c.test[0];
  EXPECT_TRUE(crack.anomalous);
  EXPECT_EQ(crack.image, root / "bottle/test/crack/000.png");
  EXPECT_EQ(crack.mask, root / "bottle/ground_truth/crack/000_mask.png");
  const TestImage& good = c.test[2];
  EXPECT_FALSE(good.anomalous);
  EXPECT_TRUE(good.mask.empty());
  EXPECT_NO_THROW(require_masks(c));
}

TEST(Datasets, UnknownCategoryErrorListsTheAvailableOnes) {
  test::TempDir root;
  test::make_mvtec_category(root.path(), "bottle", {});
  test::make_mvtec_category(root.path(), "cable", {});
  const std::string message = error_of([&] { load_category(mvtec(root.path()), "botle"); });
  EXPECT_NE(message.find("unknown category 'botle'"), std::string::npos) << message;
  EXPECT_NE(message.find("available: bottle, cable"), std::string::npos) << message;
}

TEST(Datasets, MissingMaskOfAnAnomalousImageNamesTheFile) {
  test::TempDir root;
  test::make_mvtec_category(root.path(), "bottle", {});
  fs::remove(root / "bottle/ground_truth/scratch/001_mask.png");
  const Category c = load_category(mvtec(root.path()), "bottle");
  const std::string message = error_of([&] { require_masks(c); });
  EXPECT_NE(message.find("ground_truth/scratch/001_mask.png"), std::string::npos) << message;
  EXPECT_NE(message.find("test/scratch/001.png"), std::string::npos) << message;
  EXPECT_NE(message.find("--no-pixel-metrics"), std::string::npos) << message;
}

TEST(Datasets, LimitKeepsTheFirstImagesOfEachDefectType) {
  test::TempDir root;
  test::make_mvtec_category(root.path(), "bottle", {.good = 3, .defects = {"hole", "crack"}, .per_defect = 3});
  Category c = load_category(mvtec(root.path()), "bottle");
  limit_test_images(c, 2);
  EXPECT_EQ(keys(c),
            (std::vector<std::string>{"crack/000", "crack/001", "good/000", "good/001", "hole/000", "hole/001"}));
}

TEST(Datasets, VisaReadsTheOneClassSplit) {
  test::TempDir root;
  test::make_visa(root.path(), {"pcb1", "candle"}, {.train = 2, .good = 2, .defects = {"bad"}, .per_defect = 3});
  const DatasetSource source{.kind = DatasetKind::VisA, .root = root.path()};
  EXPECT_EQ(list_categories(source), (std::vector<std::string>{"candle", "pcb1"}));
  const Category c = load_category(source, "pcb1");
  EXPECT_EQ(c.train, (std::vector<fs::path>{root / "pcb1/Data/Images/Normal/000.png",
                                            root / "pcb1/Data/Images/Normal/001.png"}));
  EXPECT_EQ(keys(c),
            (std::vector<std::string>{"Anomaly/000", "Anomaly/001", "Anomaly/002", "Normal/002", "Normal/003"}));
  EXPECT_TRUE(c.test[0].anomalous);
  EXPECT_EQ(c.test[0].mask, root / "pcb1/Data/Masks/Anomaly/000.png");
  EXPECT_FALSE(c.test[3].anomalous);
  EXPECT_TRUE(c.test[3].mask.empty());
}

TEST(Datasets, VisaColumnsAreFoundByNameAndQuotedFieldsRead) {
  test::TempDir root;
  write_text(root / "split_csv/1cls.csv",
             "split,object,image,label,mask\r\n"
             "train,\"fryum\",fryum/a.png,normal,\r\n"
             "test,fryum,\"fryum/b,1.png\",anomaly,fryum/m.png\r\n");
  const Category c = load_category({.kind = DatasetKind::VisA, .root = root.path()}, "fryum");
  EXPECT_EQ(c.train, std::vector<fs::path>{root / "fryum/a.png"});
  ASSERT_EQ(c.test.size(), 1u);
  EXPECT_EQ(c.test[0].image, root / "fryum/b,1.png");
  EXPECT_EQ(c.test[0].mask, root / "fryum/m.png");
}

TEST(Datasets, VisaBadRowsAreErrorsWithTheirLine) {
  test::TempDir root;
  write_text(root / "split_csv/1cls.csv", "object,split,label,image,mask\nfryum,test,broken,fryum/a.png,\n");
  const std::string message = error_of([&] { list_categories({.kind = DatasetKind::VisA, .root = root.path()}); });
  EXPECT_NE(message.find("1cls.csv:2"), std::string::npos) << message;
  EXPECT_NE(message.find("'broken'"), std::string::npos) << message;

  test::TempDir no_split;
  EXPECT_NE(error_of([&] { list_categories({.kind = DatasetKind::VisA, .root = no_split.path()}); }).find("1cls.csv"),
            std::string::npos);
}

TEST(Datasets, FolderLayoutFindsMasksByEitherNameAndNamesItsCategory) {
  test::TempDir root;
  const Image img = test::texture(16, 16, 1);
  write_png(root / "widget/good/n1.png", img);
  write_png(root / "widget/bad/a1.png", img);
  write_png(root / "widget/bad/dent/a2.png", img);
  write_png(root / "widget/bad/a3.png", img);
  write_png_gray(root / "masks/a1_mask.png", 16, 16, std::vector<uint8_t>(256, 0));
  write_png_gray(root / "masks/dent/a2.png", 16, 16, std::vector<uint8_t>(256, 0));
  DatasetSource source{.kind = DatasetKind::Folder,
                       .normal = root / "widget/good",
                       .abnormal = root / "widget/bad/",
                       .masks = root / "masks"};
  EXPECT_EQ(list_categories(source), std::vector<std::string>{"widget"});
  const Category c = load_category(source, "widget");
  EXPECT_EQ(keys(c), (std::vector<std::string>{"bad/a1", "bad/a3", "dent/a2", "good/n1"}));
  EXPECT_EQ(c.test[0].mask, root / "masks/a1_mask.png");
  EXPECT_EQ(c.test[2].mask, root / "masks/dent/a2.png");
  EXPECT_EQ(c.test[1].mask, root / "masks/a3_mask.png");  // missing: the expected name
  EXPECT_NE(error_of([&] { require_masks(c); }).find("masks/a3_mask.png"), std::string::npos);

  source.folder_category = "gadget";
  EXPECT_EQ(list_categories(source), std::vector<std::string>{"gadget"});
  source.masks.clear();
  const std::string message = error_of([&] { require_masks(load_category(source, "gadget")); });
  EXPECT_NE(message.find("without a ground-truth mask"), std::string::npos) << message;
}

TEST(Datasets, DuplicateKeysAreRefused) {
  test::TempDir root;
  const Image img = test::texture(16, 16, 1);
  write_png(root / "n/good/x.png", img);
  write_png(root / "a/bad/x.png", img);
  write_png(root / "a/bad/x.jpg.png", img);  // stem "x.jpg": no clash
  write_png(root / "a/other/bad/x.bmp", img);
  const DatasetSource source{.kind = DatasetKind::Folder, .normal = root / "n", .abnormal = root / "a"};
  const std::string message = error_of([&] { load_category(source, list_categories(source)[0]); });
  EXPECT_NE(message.find("same folder name and file stem"), std::string::npos) << message;
  EXPECT_NE(message.find("other/bad/x.bmp"), std::string::npos) << message;
}

TEST(GroundTruth, NearestIndexFollowsTorchFloat32Rule) {
  // Hand-derived: floorf(x * float(in / out)); 64 → 240 repeats each row 3.75 times.
  const std::vector<int> expected = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
  for (int x = 0; x < 12; ++x) EXPECT_EQ(nearest_source_index(x, 64, 240), expected[static_cast<size_t>(x)]) << x;
  EXPECT_EQ(nearest_source_index(5, 120, 240), 2);  // out == 2·in halves
  EXPECT_EQ(nearest_source_index(7, 240, 240), 7);
  // 1000 → 240: float(1000/240) = 4.16666651 is below 25/6, so row 30 reads 124, not the rational 125.
  EXPECT_EQ(nearest_source_index(30, 1000, 240), 124);
  EXPECT_EQ(nearest_source_index(31, 1000, 240), 129);
  EXPECT_EQ(nearest_source_index(2, 7, 3), 4);
  EXPECT_EQ(nearest_source_index(239, 241, 240), 239);
}

TEST(GroundTruth, SquashBinarisesAnyNonzeroValue) {
  test::TempDir dir;
  // 2×2 mask of region ids 0/1/2, doubled to 4×4.
  write_png_gray(dir / "m.png", 2, 2, {0, 1, 2, 0});
  const GroundTruth gt = load_ground_truth(dir / "m.png", 4, ResizeMode::Squash);
  EXPECT_EQ(gt.file_width, 2);
  EXPECT_EQ(gt.file_height, 2);
  EXPECT_EQ(gt.pixels, (std::vector<uint8_t>{0, 0, 1, 1,  //
                                             0, 0, 1, 1,  //
                                             1, 1, 0, 0,  //
                                             1, 1, 0, 0}));
}

TEST(GroundTruth, ShortestResizesThenCropsTheCentre) {
  test::TempDir dir;
  // 6 wide × 3 high, column c set where c is odd. Shortest to 2: resized 4×2 (int(2·6/3)), columns
  // floorf(x·1.5) = 0, 1, 3, 4 → 0, 1, 1, 0; crop left round((4-2)/2) = 1 keeps columns 1..2.
  std::vector<uint8_t> pixels(18, 0);
  for (int y = 0; y < 3; ++y)
    for (int x = 1; x < 6; x += 2) pixels[static_cast<size_t>(y * 6 + x)] = 255;
  write_png_gray(dir / "m.png", 6, 3, pixels);
  const GroundTruth gt = load_ground_truth(dir / "m.png", 2, ResizeMode::Shortest);
  EXPECT_EQ(gt.pixels, (std::vector<uint8_t>{1, 1, 1, 1}));
  const GroundTruth squashed = load_ground_truth(dir / "m.png", 2, ResizeMode::Squash);  // columns 0, 3
  EXPECT_EQ(squashed.pixels, (std::vector<uint8_t>{0, 1, 0, 1}));
}

TEST(GroundTruth, SixteenBitAndColourMasksCountEveryNonzeroSample) {
  test::TempDir dir;
  // 16-bit PGM (big-endian samples): value 1 would vanish if reduced to 8 bits by >> 8.
  test::write_bytes(dir / "m16.pgm", std::string("P5\n2 1\n65535\n") + std::string("\x00\x00\x00\x01", 4));
  EXPECT_EQ(load_ground_truth(dir / "m16.pgm", 2, ResizeMode::Squash).pixels, (std::vector<uint8_t>{0, 1, 0, 1}));
  // Colour PPM with a pixel (0, 0, 1): gray conversion would round it to 0.
  test::write_bytes(dir / "m.ppm", std::string("P6\n2 1\n255\n") + std::string("\x00\x00\x00\x00\x00\x01", 6));
  EXPECT_EQ(load_ground_truth(dir / "m.ppm", 2, ResizeMode::Squash).pixels, (std::vector<uint8_t>{0, 1, 0, 1}));
}

TEST(GroundTruth, MissingOrBrokenMaskIsAnErrorNamingIt) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] {
              load_ground_truth(dir / "none.png", 4, ResizeMode::Squash);
            }).find("none.png: ground-truth mask not found"),
            std::string::npos);
  test::write_bytes(dir / "bad.png", "not a png");
  test::expect_mentions(error_of([&] { load_ground_truth(dir / "bad.png", 4, ResizeMode::Squash); }),
                       "bad.png: not an image");
}

TEST(GroundTruth, MaskWhoseHeaderClaimsTooManyPixelsIsRefusedBeforeDecoding) {
  test::TempDir dir;
  test::write_bytes(dir / "bomb.png", test::png_claiming(60000, 60000));
  test::expect_mentions(error_of([&] { load_ground_truth(dir / "bomb.png", 4, ResizeMode::Squash); }),
                       "bomb.png: PNG header claims 60000×60000 pixels, more than the limit");
}

TEST(ReferenceDraw, SplitMix64MatchesThePublishedSequence) {
  // Reference outputs of Vigna's splitmix64.c for seed 1234567.
  SplitMix64 rng(1234567);
  for (uint64_t expected : {6457827717110365317ull, 3203168211198807973ull, 9817491932198370423ull,
                            4593380528125082431ull, 16408922859458223821ull})
    EXPECT_EQ(rng.next(), expected);
}

TEST(ReferenceDraw, DrawsMatchAnIndependentImplementationOfTheDocumentedAlgorithm) {
  // Computed with a separate Python implementation of the algorithm in reference_draw.hpp.
  const std::vector<std::vector<size_t>> expected = {
      {6, 3, 2, 9}, {4, 2, 8, 1}, {9, 8, 3, 2}, {2, 8, 7, 4}, {9, 5, 3, 2}};
  for (uint64_t seed = 0; seed < 5; ++seed) EXPECT_EQ(draw_references(10, 4, seed), expected[seed]) << seed;
  EXPECT_EQ(draw_references(209, 4, 0), (std::vector<size_t>{146, 120, 105, 62}));
  EXPECT_EQ(draw_references(5, 5, 3), (std::vector<size_t>{2, 4, 0, 1, 3}));
  EXPECT_TRUE(draw_references(3, 0, 1).empty());
  EXPECT_THROW(draw_references(3, 4, 0), Error);
}
