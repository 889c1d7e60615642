package dev.llmaudit.jobs;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/** Binary form of a decimal that loses nothing: scale, then the unscaled value's two's-complement bytes. */
public final class ExactDecimals {
    private ExactDecimals() {}

    public static void write(DataOutput out, BigDecimal d) throws IOException {
        byte[] unscaled = d.unscaledValue().toByteArray();
        out.writeInt(d.scale());
        out.writeInt(unscaled.length);
        out.write(unscaled);
    }

    public static BigDecimal read(DataInput in) throws IOException {
        int scale = in.readInt();
        byte[] unscaled = new byte[in.readInt()];
        in.readFully(unscaled);
        return new BigDecimal(new BigInteger(unscaled), scale);
    }
}
