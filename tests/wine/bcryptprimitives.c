/* bcryptprimitives.dll for Wine 8 (Debian 12), which has none: Rust's
 * standard library (1.78 and later) takes its random bytes from
 * ProcessPrng there, and a program that imports it does not start without
 * it. Built with mingw by tests/e2e/windows.rs and put in the test's own
 * Wine prefix; Windows 10 and later have the real one. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return FALSE;
        }
        data += n;
        len -= n;
    }
    return TRUE;
}
