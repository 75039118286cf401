"""`jkstool doctor`: the stores as the application is configured to load them.

A configuration (Spring Boot, Tomcat's server.xml, JVM flags, Kafka properties) is read into
endpoints (sources, config; properties files as java.util.Properties reads them: properties),
each store is opened as that application would open it and the pair is
checked against a peer with verify-pair's checks (diagnose). Every finding names the file and
line of the setting it comes from.

May import: `jkstool.fleet` and everything below it.
"""
