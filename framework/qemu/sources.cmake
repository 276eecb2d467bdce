# framework/qemu sources
