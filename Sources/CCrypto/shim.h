// Debian's libcrypto (OpenSSL 3): hardware-accelerated SHA-256 and HMAC.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>

/* The low-level SHA-256 calls reach libcrypto's SHA-instruction code without EVP's
   per-call context (about twice as fast for a frame id's ~100 bytes). OpenSSL 3 marks
   them deprecated but keeps them; these wrappers keep the notice out of Swift call sites. */
static inline int tally_sha256_init(SHA256_CTX *c) { return SHA256_Init(c); }
static inline int tally_sha256_update(SHA256_CTX *c, const void *data, size_t len) { return SHA256_Update(c, data, len); }
static inline int tally_sha256_final(unsigned char *md, SHA256_CTX *c) { return SHA256_Final(md, c); }
