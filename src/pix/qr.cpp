#include "pix/qr.hpp"

#include <qrencode.h>
#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>

namespace cambista::pix {
namespace {

constexpr std::string_view kPngSignature = "\x89PNG\r\n\x1a\n";
constexpr uint8_t kPngBitDepth = 1;
constexpr uint8_t kPngColourGreyscale = 0;
constexpr uint8_t kPngFilterNone = 0;

void AppendBigEndian32(std::string& out, uint32_t value) {
  out += static_cast<char>((value >> 24) & 0xff);
  out += static_cast<char>((value >> 16) & 0xff);
  out += static_cast<char>((value >> 8) & 0xff);
  out += static_cast<char>(value & 0xff);
}

// length, type, data, then CRC-32 (zlib's, the one PNG specifies) over type and data.
void AppendPngChunk(std::string& out, std::string_view type, std::string_view data) {
  AppendBigEndian32(out, static_cast<uint32_t>(data.size()));
  const size_t type_start = out.size();
  out.append(type).append(data);
  const auto* bytes = reinterpret_cast<const Bytef*>(out.data() + type_start);
  AppendBigEndian32(out, static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes,
                                                     static_cast<uInt>(out.size() - type_start))));
}

std::string Deflate(const std::string& raw) {
  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string compressed(compressed_size, '\0');
  const int status = compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                               reinterpret_cast<const Bytef*>(raw.data()),
                               static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
  if (status == Z_MEM_ERROR) throw std::bad_alloc();
  // Z_BUF_ERROR cannot happen with a compressBound buffer; anything else is a bug in zlib's use.
  if (status != Z_OK) throw std::logic_error("zlib compress2 failed: " + std::to_string(status));
  compressed.resize(compressed_size);
  return compressed;
}

void CheckRange(int value, int minimum, int maximum, const char* name) {
  if (value < minimum || value > maximum) {
    throw std::invalid_argument(std::string(name) + " must be " + std::to_string(minimum) + ".." +
                                std::to_string(maximum) + ", got " + std::to_string(value));
  }
}

}  // namespace

QrModules QrEncode(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("QR code of an empty text");
  if (text.size() > static_cast<size_t>(INT32_MAX)) {
    throw std::invalid_argument("text too long for a QR code");
  }
  // QRcode_encodeData puts the whole text in 8-bit mode (case and NULs survive) at the smallest
  // version that fits with level M.
  errno = 0;
  std::unique_ptr<QRcode, decltype(&QRcode_free)> symbol(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M),
      &QRcode_free);
  if (!symbol) {
    if (errno == ENOMEM) throw std::bad_alloc();
    throw std::invalid_argument("text of " + std::to_string(text.size()) +
                                " bytes does not fit in a QR code");
  }
  QrModules modules;
  modules.size = symbol->width;
  const size_t count = static_cast<size_t>(symbol->width) * static_cast<size_t>(symbol->width);
  modules.dark.resize(count);
  // Bit 0 of each byte is the module's colour (1 = dark); the other bits describe its role.
  for (size_t i = 0; i < count; ++i) modules.dark[i] = (symbol->data[i] & 1u) != 0;
  return modules;
}

std::string QrPng(std::string_view text, int module_pixels, int margin_modules) {
  CheckRange(module_pixels, 1, kQrModulePixelsMax, "module_pixels");
  CheckRange(margin_modules, 0, kQrMarginModulesMax, "margin_modules");
  const QrModules modules = QrEncode(text);
  const int side_modules = modules.size + 2 * margin_modules;
  const auto side_pixels = static_cast<uint32_t>(side_modules * module_pixels);
  const size_t row_bytes = (side_pixels + 7) / 8;

  // Greyscale 1 bit: 0 is black. Start all white and clear the dark modules' bits.
  std::string raw;
  raw.reserve((1 + row_bytes) * side_pixels);
  std::string row(row_bytes, '\0');
  for (int module_y = 0; module_y < side_modules; ++module_y) {
    row.assign(row_bytes, static_cast<char>(0xff));
    const int y = module_y - margin_modules;
    if (y >= 0 && y < modules.size) {
      for (int x = 0; x < modules.size; ++x) {
        if (!modules.IsDark(x, y)) continue;
        const int first_pixel = (x + margin_modules) * module_pixels;
        for (int pixel = first_pixel; pixel < first_pixel + module_pixels; ++pixel) {
          row[static_cast<size_t>(pixel / 8)] &= static_cast<char>(~(0x80u >> (pixel % 8)));
        }
      }
    }
    for (int repeat = 0; repeat < module_pixels; ++repeat) {
      raw += static_cast<char>(kPngFilterNone);
      raw += row;
    }
  }

  std::string header;
  AppendBigEndian32(header, side_pixels);  // width
  AppendBigEndian32(header, side_pixels);  // height
  header += static_cast<char>(kPngBitDepth);
  header += static_cast<char>(kPngColourGreyscale);
  header += '\0';  // compression: deflate
  header += '\0';  // filter method 0
  header += '\0';  // no interlace

  std::string png(kPngSignature);
  AppendPngChunk(png, "IHDR", header);
  AppendPngChunk(png, "IDAT", Deflate(raw));
  AppendPngChunk(png, "IEND", "");
  return png;
}

std::string QrSvg(std::string_view text, int margin_modules) {
  CheckRange(margin_modules, 0, kQrMarginModulesMax, "margin_modules");
  const QrModules modules = QrEncode(text);
  const std::string side = std::to_string(modules.size + 2 * margin_modules);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side + " " + side +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"" + side + "\" height=\"" +
                    side + "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  // One rectangle per horizontal run of dark modules keeps the path short.
  for (int y = 0; y < modules.size; ++y) {
    int x = 0;
    while (x < modules.size) {
      if (!modules.IsDark(x, y)) {
        ++x;
        continue;
      }
      const int run_start = x;
      while (x < modules.size && modules.IsDark(x, y)) ++x;
      const std::string run = std::to_string(x - run_start);
      svg += "M" + std::to_string(run_start + margin_modules) + " " +
             std::to_string(y + margin_modules) + "h" + run + "v1h-" + run + "z";
    }
  }
  svg += "\"/></svg>\n";
  return svg;
}

}  // namespace cambista::pix
