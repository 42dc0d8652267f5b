/** Jest suites: unit tests, integration against real Open vSwitch and libvirt, end-to-end dataplane. Helpers in `support/`. */
export {};
