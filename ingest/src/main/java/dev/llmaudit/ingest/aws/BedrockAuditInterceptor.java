package dev.llmaudit.ingest.aws;

import dev.llmaudit.avro.CallStatus;
import dev.llmaudit.avro.Cloud;
import dev.llmaudit.avro.DeploymentScope;
import dev.llmaudit.avro.LlmCallEvent;
import dev.llmaudit.avro.Operation;
import dev.llmaudit.ingest.client.CallEvents;
import dev.llmaudit.ingest.client.LlmAuditClient;
import dev.llmaudit.ingest.capture.StreamedCall;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.awscore.AwsExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseResponse;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseStreamRequest;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelRequest;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelWithResponseStreamRequest;
import software.amazon.awssdk.services.bedrockruntime.model.Message;
import software.amazon.awssdk.services.bedrockruntime.model.TokenUsage;

/**
 * Records Bedrock Runtime calls made through an AWS SDK v2 client:
 * <pre>
 * BedrockRuntimeClient bedrock = BedrockRuntimeClient.builder()
 *     .overrideConfiguration(c -> c.addExecutionInterceptor(new BedrockAuditInterceptor(auditClient)))
 *     .build();
 * </pre>
 * Covers Converse and InvokeModel (model id, deployment scope from the inference-profile prefix,
 * region, input/cached/output tokens, latency, request id, errors), and on the async client
 * ConverseStream and InvokeModelWithResponseStream: the event stream passes through
 * {@link BedrockStream}, which takes usage from the {@code metadata} event or the last chunk's
 * invocation metrics, times the first token, and records the call once when the stream completes,
 * fails or is cancelled. The same interceptor serves both clients. Prompt and
 * response text are only hashed (HMAC), and only when the audit client has a key. The interceptor
 * never fails the app's call: problems are logged and the call goes on.
 */
public final class BedrockAuditInterceptor implements ExecutionInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(BedrockAuditInterceptor.class);
    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("llm-audit.started");
    private static final ExecutionAttribute<StreamedCall> STREAM = new ExecutionAttribute<>("llm-audit.stream");

    private final LlmAuditClient audit;

    public BedrockAuditInterceptor(LlmAuditClient audit) {
        this.audit = Objects.requireNonNull(audit, "audit client");
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        long started = System.nanoTime();
        attributes.putAttribute(STARTED, started);
        try {
            if (context.request() instanceof ConverseStreamRequest || context.request() instanceof InvokeModelWithResponseStreamRequest) {
                // Built now, on the caller's thread, so the event carries the caller's LlmAuditContext; recorded by the stream.
                LlmCallEvent.Builder e = common(context.request(), attributes);
                attributes.putAttribute(STREAM, new StreamedCall(audit, e, started));
            }
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not start capturing a Bedrock stream: {}", ex.toString());
        }
    }

    /** Event streams (async client only): the bytes pass through a reader that records the call when the stream ends. */
    @Override
    public Optional<Publisher<ByteBuffer>> modifyAsyncHttpResponseContent(Context.ModifyHttpResponse context,
                                                                          ExecutionAttributes attributes) {
        StreamedCall call = attributes.getAttribute(STREAM);
        if (call == null || context.responsePublisher().isEmpty()) {
            return context.responsePublisher();
        }
        try {
            SdkHttpResponse http = context.httpResponse();
            call.update(e -> {
                e.setHttpStatus(http.statusCode());
                http.firstMatchingHeader("x-amzn-RequestId").ifPresent(e::setRequestId);
            });
            if (!http.isSuccessful()) {
                return context.responsePublisher(); // an error answer, not a stream: onExecutionFailure records it
            }
            return Optional.of(new BedrockStream(context.responsePublisher().get(), call,
                    context.request() instanceof ConverseStreamRequest));
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not capture a Bedrock stream: {}", ex.toString());
            return context.responsePublisher();
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (attributes.getAttribute(STREAM) != null) {
            return; // the stream records the call when it ends
        }
        try {
            LlmCallEvent.Builder e = common(context.request(), attributes);
            if (e == null) {
                return;
            }
            SdkResponse response = context.response();
            e.setHttpStatus(context.httpResponse().statusCode());
            context.httpResponse().firstMatchingHeader("x-amzn-RequestId").ifPresent(e::setRequestId);
            if (response instanceof ConverseResponse cr) {
                TokenUsage u = cr.usage();
                if (u != null) {
                    long cacheRead = u.cacheReadInputTokens() == null ? 0 : u.cacheReadInputTokens();
                    long cacheWrite = u.cacheWriteInputTokens() == null ? 0 : u.cacheWriteInputTokens();
                    // Bedrock counts cache reads/writes apart from inputTokens; the contract's input_tokens includes them.
                    e.setInputTokens(u.inputTokens() == null ? null : u.inputTokens() + cacheRead + cacheWrite);
                    e.setCachedInputTokens(u.cacheReadInputTokens() == null ? null : cacheRead);
                    e.setOutputTokens(u.outputTokens() == null ? null : (long) u.outputTokens());
                }
                if (cr.output() != null && cr.output().message() != null) {
                    e.setResponseHash(audit.hash(text(cr.output().message())));
                }
            } else {
                // InvokeModel: Bedrock reports token counts in response headers for every model family.
                header(context.httpResponse(), "X-Amzn-Bedrock-Input-Token-Count").ifPresent(e::setInputTokens);
                header(context.httpResponse(), "X-Amzn-Bedrock-Output-Token-Count").ifPresent(e::setOutputTokens);
            }
            audit.record(e.build());
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not record a Bedrock call: {}", ex.toString());
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        StreamedCall stream = attributes.getAttribute(STREAM);
        if (stream != null) {
            // Refused before streaming, or broken on the way: recorded once, whichever of this and the stream comes first.
            Throwable t = context.exception();
            Integer status = t instanceof AwsServiceException ase ? Integer.valueOf(ase.statusCode())
                    : context.httpResponse().map(r -> r.statusCode()).orElse(null);
            stream.fail(errorType(t), status);
            return;
        }
        try {
            LlmCallEvent.Builder e = common(context.request(), attributes);
            if (e == null) {
                return;
            }
            e.setStatus(CallStatus.error);
            Throwable t = context.exception();
            e.setErrorType(errorType(t));
            if (t instanceof AwsServiceException ase) {
                e.setHttpStatus(ase.statusCode());
                if (ase.requestId() != null) {
                    e.setRequestId(ase.requestId());
                }
            } else {
                context.httpResponse().ifPresent(r -> e.setHttpStatus(r.statusCode()));
            }
            audit.record(e.build());
        } catch (RuntimeException ex) {
            LOG.warn("llm-audit could not record a failed Bedrock call: {}", ex.toString());
        }
    }

    /** The service's error code (ThrottlingException, ...) or the exception's class. */
    private static String errorType(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && !(cause instanceof AwsServiceException)) {
            cause = cause.getCause(); // the async client wraps in CompletionException / SdkClientException
        }
        if (cause instanceof AwsServiceException ase && ase.awsErrorDetails() != null && ase.awsErrorDetails().errorCode() != null) {
            return ase.awsErrorDetails().errorCode();
        }
        return t.getClass().getSimpleName();
    }

    /** Fields known from the request; null for calls that are not model invocations. */
    private LlmCallEvent.Builder common(SdkRequest request, ExecutionAttributes attributes) {
        String modelId;
        Operation operation = Operation.chat;
        String prompt = null;
        if (request instanceof ConverseRequest cr) {
            modelId = cr.modelId();
            prompt = cr.messages().stream().map(BedrockAuditInterceptor::text).collect(Collectors.joining("\n"));
        } else if (request instanceof InvokeModelRequest ir) {
            modelId = ir.modelId();
            operation = Operation.other;
        } else if (request instanceof ConverseStreamRequest cr) {
            modelId = cr.modelId();
            prompt = cr.messages().stream().map(BedrockAuditInterceptor::text).collect(Collectors.joining("\n"));
        } else if (request instanceof InvokeModelWithResponseStreamRequest ir) {
            modelId = ir.modelId();
            operation = Operation.other;
        } else {
            return null;
        }
        String model = modelId.contains("/") ? modelId.substring(modelId.lastIndexOf('/') + 1) : modelId; // inference-profile ARNs
        Long started = attributes.getAttribute(STARTED);
        LlmCallEvent.Builder e = CallEvents.start(Instant.now()).setCloud(Cloud.aws).setProvider("aws.bedrock")
                .setOperation(operation).setRequestModel(model).setResponseModel(model)
                .setLatencyMs(started == null ? null : (System.nanoTime() - started) / 1_000_000)
                .setDeploymentScope(scopeOf(model));
        if (attributes.getAttribute(AwsExecutionAttribute.AWS_REGION) != null) {
            e.setRegion(attributes.getAttribute(AwsExecutionAttribute.AWS_REGION).id());
        }
        e.setEndpoint("bedrock-runtime." + (e.getRegion() == null ? "" : e.getRegion()) + ".amazonaws.com");
        if (prompt != null) {
            e.setPromptHash(audit.hash(prompt));
        }
        return e;
    }

    /** {@code global.} -> global; {@code us.}, {@code eu.}, {@code apac.}, ... -> data zone; a plain model id -> regional. */
    public static DeploymentScope scopeOf(String modelId) {
        int dot = modelId.indexOf('.');
        if (dot < 0) {
            return DeploymentScope.regional;
        }
        String prefix = modelId.substring(0, dot);
        if (prefix.equals("global")) {
            return DeploymentScope.global;
        }
        if (prefix.matches("us|eu|apac|au|jp|ca|us-gov") && modelId.indexOf('.', dot + 1) > 0) {
            return DeploymentScope.data_zone;
        }
        return DeploymentScope.regional;
    }

    private static String text(Message m) {
        return m.content().stream().map(ContentBlock::text).filter(Objects::nonNull).collect(Collectors.joining("\n"));
    }

    private static Optional<Long> header(SdkHttpResponse r, String name) {
        return r.firstMatchingHeader(name).flatMap(v -> {
            try {
                return Optional.of(Long.parseLong(v.trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }
}
