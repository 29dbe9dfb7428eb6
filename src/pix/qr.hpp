// QR images of a text (a BR Code) through libqrencode: PNG (zlib) and SVG.
//
// Error correction level M (15% of the symbol can be lost, what BCB recommends for BR Codes) and
// the whole text in 8-bit byte mode, so the text comes back exactly as given (case and all) from
// any reader. The PNG is written here (1-bit greyscale, one IDAT) rather than through an image
// library: it is a few dozen lines and keeps the dependency list short.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cambista::pix {

constexpr int kQrModulePixelsMax = 64;
constexpr int kQrMarginModulesMax = 64;

// The modules of a QR symbol, row by row, without the quiet zone.
struct QrModules {
  int size = 0;            // modules per side (21 for version 1 ... 177 for version 40)
  std::vector<bool> dark;  // size * size, row-major

  bool IsDark(int x, int y) const { return dark[static_cast<size_t>(y) * size + x]; }
};

// Throws std::invalid_argument when the text is empty or does not fit in a QR code.
QrModules QrEncode(std::string_view text);

// Throws std::invalid_argument when the text does not fit in a QR code, or module_pixels is not
// 1..kQrModulePixelsMax, or margin_modules not 0..kQrMarginModulesMax.
std::string QrPng(std::string_view text, int module_pixels = 8, int margin_modules = 4);
// A square SVG whose viewBox is in modules (quiet zone included): a white background and one
// <path> of the dark modules, drawn with shape-rendering="crispEdges". Scale it with CSS.
std::string QrSvg(std::string_view text, int margin_modules = 4);

}  // namespace cambista::pix
