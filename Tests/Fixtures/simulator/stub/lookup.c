/* A minimal getaddrinfo client for cross-checking `clusterdns simulate` against a real C
 * library: `lookup NAME [unspec|inet|inet6]` prints each address or the getaddrinfo error.
 * Built by Tests/IntegrationTests/SimulateVersusMuslTests.swift with musl-gcc -static. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: lookup NAME [unspec|inet|inet6]\n");
        return 2;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    if (argc > 2 && strcmp(argv[2], "inet") == 0) hints.ai_family = AF_INET;
    if (argc > 2 && strcmp(argv[2], "inet6") == 0) hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(argv[1], NULL, &hints, &result);
    if (rc != 0) {
        printf("error %d %s\n", rc, gai_strerror(rc));
        return 1;
    }
    for (struct addrinfo *ai = result; ai != NULL; ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN];
        const void *address = ai->ai_family == AF_INET
            ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
            : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, address, text, sizeof text);
        printf("%s\n", text);
    }
    freeaddrinfo(result);
    return 0;
}
