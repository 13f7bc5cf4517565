// Asio, Asio SSL and Beast compiled once here (BOOST_*_SEPARATE_COMPILATION is set on
// harperrt_net for every user), instead of in every translation unit that uses them.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
