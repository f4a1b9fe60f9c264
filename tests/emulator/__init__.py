"""Local emulator tests (real redis-server / redis-sentinel / memcached processes)."""
