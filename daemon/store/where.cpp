#include "daemon/store/where.hpp"

#include <array>
#include <cctype>

namespace harperrt::daemon::store {
namespace {

constexpr std::array<std::string_view, 10> keywords = {"AND", "OR", "NOT", "IS", "NULL",
                                                       "LIKE", "GLOB", "BETWEEN", "IN", "ESCAPE"};

bool ident_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x80 && (std::isalpha(u) != 0 || c == '_');
}
bool ident_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x80 && (std::isalnum(u) != 0 || c == '_');
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// The SQL column an attribute name stands for: the primary key attribute is `id`.
Result<std::string> resolve(std::string_view attribute, const TableLayout& table) {
    if (attribute == table.primary_key) return std::string("id");
    const IndexLayout* ix = table.find_index(attribute);
    if (ix == nullptr) return error(Errc::bad_query);
    if (!ix->ready.load(std::memory_order_acquire)) return error(Errc::index_not_ready);
    return ix->column;
}

}  // namespace

Result<CompiledWhere> compile_where(std::string_view where, const TableLayout& table) {
    CompiledWhere out;
    int depth = 0;
    std::size_t tokens = 0;
    const auto emit = [&](std::string_view token) {
        if (!out.sql.empty()) out.sql.push_back(' ');
        out.sql.append(token);
        ++tokens;
    };
    std::size_t i = 0;
    while (i < where.size()) {
        const char c = where[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else if (c == '?') {
            // A bare `?` only: `?NNN` would let the caller reorder or reuse parameters.
            if (i + 1 < where.size() && std::isdigit(static_cast<unsigned char>(where[i + 1])) != 0)
                return error(Errc::bad_query);
            emit("?");
            ++out.params;
            ++i;
        } else if (c == '(' || c == ')') {
            depth += c == '(' ? 1 : -1;
            if (depth < 0) return error(Errc::bad_query);
            emit(c == '(' ? "(" : ")");
            ++i;
        } else if (c == ',') {
            emit(",");
            ++i;
        } else if (c == '=' || c == '!' || c == '<' || c == '>') {
            const std::string_view two = where.substr(i, 2);
            if (two == "==" || two == "!=" || two == "<>" || two == "<=" || two == ">=") {
                emit(two);
                i += 2;
            } else if (c != '!') {
                emit(where.substr(i, 1));
                ++i;
            } else {
                return error(Errc::bad_query);
            }
        } else if (c == '"') {
            std::string name;
            ++i;
            for (;;) {
                if (i >= where.size()) return error(Errc::bad_query);  // unterminated
                if (where[i] == '"') {
                    if (i + 1 < where.size() && where[i + 1] == '"') {
                        name.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                name.push_back(where[i++]);
            }
            auto column = resolve(name, table);
            if (!column) return error(column.error());
            emit(*column);
        } else if (ident_start(c)) {
            const std::size_t start = i;
            while (i < where.size() && ident_char(where[i])) ++i;
            const std::string_view word = where.substr(start, i - start);
            const std::string up = upper(word);
            bool keyword = false;
            for (auto k : keywords) keyword = keyword || k == up;
            if (keyword) {
                emit(up);
            } else {
                auto column = resolve(word, table);
                if (!column) return error(column.error());
                emit(*column);
            }
        } else {
            // Literals, comments, `;`, `||`, arithmetic, `@x`/`:x`/`$x` parameters...
            return error(Errc::bad_query);
        }
    }
    if (depth != 0 || tokens == 0) return error(Errc::bad_query);
    return out;
}

}  // namespace harperrt::daemon::store
