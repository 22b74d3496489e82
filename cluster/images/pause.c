/*
 * The pod sandbox's process: holds the pod's namespaces open, reaps the
 * orphans re-parented to it (it is PID 1 when the pod shares its PID
 * namespace), and exits on SIGINT or SIGTERM. Built static, so the image holds
 * nothing but this binary.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  /* Blocked and taken with sigwait: no handler runs between checks. */
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }
  for (;;) {
    int sig;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGCHLD) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      continue;
    }
    return 0;
  }
}
