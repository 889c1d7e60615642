package dev.llmaudit.enforcer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Counters of what the enforcer's operators decide, as Kafka Streams sensors: they live with the
 * task's other metrics, and {@code /metrics} (Micrometer's Kafka Streams binder) exposes them as
 * {@code kafka_llm_audit_enforcer_<name>_total{task_id, ...}}. One sensor per task, name and tags; a
 * task that moves to this instance again finds its sensors.
 */
final class TaskCounters {
    static final String GROUP = "llm-audit-enforcer-metrics";
    private final StreamsMetrics metrics;
    private final String task;
    private final Map<String, Sensor> sensors = new HashMap<>();

    TaskCounters(ProcessorContext<?, ?> context) {
        this.metrics = context.metrics();
        this.task = context.taskId().toString();
    }

    /** Adds one to the counter {@code name} with these tags (e.g. stage=validate). */
    void inc(String name, String description, String... tags) {
        String id = name + "|" + String.join("|", tags);
        Sensor s = sensors.get(id);
        if (s == null) {
            s = metrics.addSensor("llm-audit." + task + "." + id, Sensor.RecordingLevel.INFO);
            Map<String, String> t = new LinkedHashMap<>();
            t.put("task-id", task);
            for (int i = 0; i + 1 < tags.length; i += 2) {
                t.put(tags[i], tags[i + 1]);
            }
            MetricName metric = new MetricName(name + "-total", GROUP, description, t);
            if (!metrics.metrics().containsKey(metric)) {
                s.add(metric, new CumulativeCount());
            }
            sensors.put(id, s);
        }
        s.record();
    }
}
