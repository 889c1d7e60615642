package dev.llmaudit.cli.focus;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Where export files go: a directory ({@code file:///dir}) or an S3 bucket and prefix
 * ({@code s3://bucket/prefix}, any S3-compatible store with an endpoint override). Every put replaces
 * the whole object at once: a reader sees the old file or the new one, never a part.
 */
public interface ExportTarget extends AutoCloseable {
    /** @param key a relative path under the target's prefix, '/'-separated */
    void put(String key, byte[] bytes, String contentType) throws IOException;

    /** Where a key ends up, for messages. */
    String describe(String key);

    @Override
    default void close() {}

    /** S3 connection settings; null endpoint = AWS itself. Credentials come from the SDK's default chain. */
    record S3Settings(URI endpoint, String region, boolean pathStyle) {}

    static ExportTarget open(URI to, S3Settings s3) {
        String scheme = to.getScheme() == null ? "" : to.getScheme();
        return switch (scheme) {
            case "file" -> new Directory(Path.of(to).toAbsolutePath().normalize());
            case "s3" -> {
                if (to.getHost() == null || to.getHost().isBlank()) {
                    throw new IllegalArgumentException("--to " + to + ": no bucket; use s3://BUCKET/PREFIX");
                }
                String prefix = to.getPath() == null ? "" : to.getPath().replaceAll("^/+|/+$", "");
                yield new S3(to.getHost(), prefix, s3);
            }
            default -> throw new IllegalArgumentException("--to " + to + ": use s3://BUCKET/PREFIX or file:///DIRECTORY");
        };
    }

    /** Files under a directory, each written to a temporary file and moved into place. */
    final class Directory implements ExportTarget {
        private final Path root;

        Directory(Path root) {
            this.root = root;
        }

        @Override
        public void put(String key, byte[] bytes, String contentType) throws IOException {
            Path file = root.resolve(key).normalize();
            if (!file.startsWith(root)) {
                throw new IOException("key " + key + " leaves " + root);
            }
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".writing-", ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        @Override
        public String describe(String key) {
            return root.resolve(key).toString();
        }
    }

    /** Objects in a bucket (AWS SDK for Java v2, the JDK's HTTP client). */
    final class S3 implements ExportTarget {
        private final String bucket;
        private final String prefix;
        private final S3Client client;

        S3(String bucket, String prefix, S3Settings settings) {
            this.bucket = bucket;
            this.prefix = prefix;
            var b = S3Client.builder().httpClient(UrlConnectionHttpClient.create())
                    .forcePathStyle(settings.pathStyle());
            if (settings.region() != null) {
                b.region(Region.of(settings.region()));
            }
            if (settings.endpoint() != null) {
                b.endpointOverride(settings.endpoint());
            }
            this.client = b.build();
        }

        private String objectKey(String key) {
            return prefix.isEmpty() ? key : prefix + "/" + key;
        }

        @Override
        public void put(String key, byte[] bytes, String contentType) throws IOException {
            try {
                client.putObject(PutObjectRequest.builder().bucket(bucket).key(objectKey(key)).contentType(contentType).build(),
                        RequestBody.fromBytes(bytes));
            } catch (software.amazon.awssdk.core.exception.SdkException e) {
                throw new IOException("cannot write s3://" + bucket + "/" + objectKey(key) + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String describe(String key) {
            return "s3://" + bucket + "/" + objectKey(key);
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
