"""Docker-free provisioning of the real PostgreSQL and Apache Kafka the platform runs on locally."""
