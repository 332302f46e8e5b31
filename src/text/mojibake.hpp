#pragma once
// Internal: text that went through the wrong single-byte code page, Latin-1 or Windows-1252.
#include <optional>
#include <string>
#include <string_view>

namespace winclip::detail {

// The character Windows-1252 assigns to byte 0x80..0x9F; the five bytes it leaves undefined stay the C1
// control of the same value ("sloppy" decoding, as ftfy and HTML5 do).
char32_t windows1252_c1(unsigned char byte);

// ftfy's fix_c1_controls: a C1 control U+0080..U+009F is read as the Windows-1252 character of its byte.
std::u32string fix_c1_controls(std::u32string_view text);

// ftfy's main mojibake repair: if the whole text is UTF-8 that was decoded as Latin-1 or Windows-1252
// ("Ã¼ber" -> "über", "â€”" -> "—"), the text it was meant to be; nullopt if re-encoding it does not give
// well-formed UTF-8 (or the text is ASCII). Unlike ftfy there is no "does this look bad" heuristic: a
// whole line that re-decodes cleanly is taken to be mojibake.
std::optional<std::u32string> repair_utf8_mojibake(std::u32string_view text);

}  // namespace winclip::detail
