// Debian's libcrypto (OpenSSL 3): hardware-accelerated SHA-256 and HMAC.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
