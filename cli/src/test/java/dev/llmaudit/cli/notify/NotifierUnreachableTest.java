package dev.llmaudit.cli.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmaudit.schemas.registry.RegistryException;
import java.io.EOFException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** Which decode failures are worth waiting for (notify and the FOCUS export wait; other failures are the record's). */
class NotifierUnreachableTest {
    @Test
    void onlyARegistryThatCannotAnswerIsWaitedFor() {
        assertThat(Notifier.unreachable(new SerializationException("decode",
                new RegistryException(0, RegistryException.UNREACHABLE, "schema registry unreachable")))).isTrue();
        assertThat(Notifier.unreachable(new RegistryException(503, 503, "unavailable"))).isTrue();
        assertThat(Notifier.unreachable(new RegistryException(429, 429, "slow down"))).isTrue();
        // A truncated Avro body fails with an EOFException: waiting would never end.
        assertThat(Notifier.unreachable(new SerializationException("decode", new EOFException()))).isFalse();
        assertThat(Notifier.unreachable(new SerializationException("decode",
                new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "schema 99 not found")))).isFalse();
        assertThat(Notifier.unreachable(new IllegalArgumentException("not Confluent Avro"))).isFalse();
    }
}
