// lrp_lane: one bit-serial, MSB-first lane of the LeOPArd front end.
//
// It implements "Bit-serial lane and early termination" of arch/README.md. Q is held
// bit-parallel (D signed integers of BITS_Q bits); K arrives MSB-first as bit-planes of BITS_K
// (= B) bits two's complement, BITS_PER_CYCLE (= p) planes per step, one step per cycle, so a
// key takes at most G = ceil(B / p) steps.
//
// After step s the planes B-1 down to t = max(B - s*p, 0) have been consumed. The lane keeps
// A_s = q . (k >> t) (arithmetic shift), so P_t = A_s * 2^t, and updates it with a fixed shift:
// for each plane of the step, A = 2*A + (q . plane), where the sign plane B-1 enters with weight
// -1. The README's test
//
//     prune at step s   iff   t > 0 and P_t + (2^t - 1) * Q+ < T
//
// is evaluated in the equivalent form (all quantities integers, 2^t > 0)
//
//     A_s*2^t + (2^t - 1)*Q+ < T  <=>  (A_s + Q+) * 2^t <= T + Q+ - 1
//                                 <=>  A_s + Q+ <= floor((T + Q+ - 1) / 2^t)
//                                 <=>  A_s + Q+ <= (T + Q+ - 1) >>> t
//
// so the upper-bound margin (2^t - 1) * Q+ costs one adder on each side and one arithmetic
// right shift of a per-query constant instead of a shifter on the partial sum. At t = 0 the same
// comparator reads A_G < T, which is the final decision: the key survives iff q . k >= T.
//
// Timing: a key given to the lane with go=1 in cycle c0 takes its first step in c0. In the cycle
// of step s the lane shows step=s; the caller must present that step's planes on `planes` in the
// same cycle (combinational read). decide=1 in the cycle e of the deciding step; a survivor is
// pending from e on and leaves when accept=1 (which may be in cycle e itself). The lane is free
// again in the cycle after the decision (pruned) or after the accepted push (survivor).
//
// Verilog-2005, synthesizable.
`timescale 1ns / 1ns
`default_nettype none

module lrp_lane #(
    parameter integer D = 64,                 // trace: elements of q and k (head dimension d)
    parameter integer BITS_Q = 12,            // trace meta bits_q: width of the q elements
    parameter integer BITS_K = 12,            // trace meta bits_k: width of the k elements (B)
    parameter integer BITS_PER_CYCLE = 1,     // config front_end.bits_per_cycle: K planes per step (p)
    parameter integer EARLY_TERMINATION = 1,  // config front_end.early_termination: 0 = every key takes G steps
    parameter integer QREG = 1,               // 1: the lane holds its own query register; 0: q_in is used as is
    // Derived; leave at their defaults.
    parameter integer W = BITS_Q + BITS_K + $clog2(D) + 2,                  // signed datapath width
    parameter integer P = (BITS_PER_CYCLE < BITS_K) ? BITS_PER_CYCLE : BITS_K, // planes per full step
    parameter integer G = (BITS_K + P - 1) / P,                            // steps per key
    parameter integer SW = $clog2(G + 1)                                   // width of a step number
) (
    input  wire                 clk,
    input  wire                 rst,        // synchronous, active high
    input  wire                 q_load,     // QREG=1: load q_in (the new value is already used in this cycle)
    input  wire [D*BITS_Q-1:0]  q_in,       // element i at bits [i*BITS_Q +: BITS_Q], two's complement
    input  wire signed [W-1:0]  qplus,      // Q+ = sum of the positive q_i
    input  wire signed [W-1:0]  thr,        // integer threshold T: survive iff q.k >= T
    input  wire                 go,         // a key starts in this cycle (only when free=1)
    input  wire [P*D-1:0]       planes,     // this step's planes: plane j (0 = most significant) element i at bit j*D+i
    input  wire                 accept,     // the pending survivor is pushed in this cycle
    output wire                 free,       // no key in the lane at the start of this cycle
    output reg  [SW-1:0]        step,       // step number (1..G) taken in this cycle, 0 when none
    output wire                 decide,     // the key is decided in this cycle (at step `step`)
    output wire                 survive,    // with decide: the key survives
    output wire                 pending,    // a survivor waits to be pushed in this cycle
    output wire                 idle_next   // the lane will be free in the next cycle
);
    localparam integer R = BITS_K - (G - 1) * P;  // planes in the last step (1..P)
    localparam integer SUMW = BITS_Q + $clog2(D) + 1;  // one plane's sum: D terms of BITS_Q bits
    localparam [SW-1:0] G_S = G[SW-1:0];

    // Lane state: run = a key is between steps; hold = a survivor waits for the FIFO.
    reg                 run_r, hold_r;
    reg [SW-1:0]        s_r;      // steps done
    reg signed [W-1:0]  acc_r;    // A_s

    // The query register, or the unit's shared one.
    wire [D*BITS_Q-1:0] q_use;
    generate
        if (QREG != 0) begin : g_qreg
            reg [D*BITS_Q-1:0] q_r;
            always @(posedge clk)
                if (q_load)
                    q_r <= q_in;
            assign q_use = q_load ? q_in : q_r;
        end else begin : g_qwire
            assign q_use = q_in;
            wire unused_q_load = q_load;  // the unit's register serves every lane
        end
    endgenerate

    wire act = go | run_r;

    // Step number and the number t of planes still unconsumed after it.
    reg [7:0]  t;
    reg        last_step;
    integer    x;
    always @* begin
        step = {SW{1'b0}};
        if (act)
            step = go ? {{(SW - 1){1'b0}}, 1'b1} : s_r + 1'b1;
        last_step = (step == G_S);
        t = 8'd0;  // a table: t = max(B - step*p, 0)
        // verilator lint_off WIDTH
        for (x = 1; x < G; x = x + 1)
            if (step == x)
                t = BITS_K - x * P;
        // verilator lint_on WIDTH
    end

    // Partial sum: MSB-first Horner over this step's planes.
    reg signed [SUMW-1:0] ps;
    reg signed [W-1:0]    ps_w;
    reg signed [W-1:0]    acc;
    reg [BITS_Q-1:0]      qi;
    integer i, j;
    always @* begin
        acc = go ? {W{1'b0}} : acc_r;
        for (j = 0; j < P; j = j + 1) begin
            ps = {SUMW{1'b0}};
            for (i = 0; i < D; i = i + 1) begin
                qi = q_use[i * BITS_Q +: BITS_Q];
                if (planes[j * D + i])
                    ps = ps + {{(SUMW - BITS_Q){qi[BITS_Q - 1]}}, qi};
            end
            ps_w = {{(W - SUMW){ps[SUMW - 1]}}, ps};
            if (j < (last_step ? R : P)) begin
                if (step == 1 && j == 0)
                    acc = (acc <<< 1) - ps_w;   // sign plane B-1 weighs -2^(B-1)
                else
                    acc = (acc <<< 1) + ps_w;
            end
        end
    end

    // Threshold comparator with the upper-bound margin folded in (see the header).
    wire signed [W-1:0] lim_base = thr + qplus - 1;
    wire signed [W-1:0] lim = lim_base >>> t;
    wire signed [W-1:0] lhs = acc + qplus;
    wire below = (lhs <= lim);   // t > 0: the bound cannot reach T; t = 0: q.k < T

    assign decide  = act & (last_step | ((EARLY_TERMINATION != 0) & below));
    assign survive = decide & last_step & ~below;
    assign pending = hold_r | survive;
    assign free    = ~run_r & ~hold_r;
    assign idle_next = pending ? accept : (decide | ~act);

    always @(posedge clk) begin
        if (rst) begin
            run_r  <= 1'b0;
            hold_r <= 1'b0;
            s_r    <= 0;
            acc_r  <= 0;
        end else begin
            if (act) begin
                s_r   <= step;
                acc_r <= acc;
            end
            if (pending) begin
                run_r  <= 1'b0;
                hold_r <= ~accept;
            end else if (decide) begin
                run_r <= 1'b0;
            end else if (act) begin
                run_r <= 1'b1;
            end
        end
    end

`ifdef LRP_CHECK
    // Simulation-only: check the folded comparator against the README's literal bound
    // P_t + (2^t - 1) * Q+ < T, evaluated with 64-bit integers.
    reg signed [63:0] lit_p, lit_q, lit_t, lit_a;
    always @(posedge clk) begin
        if (!rst && act) begin
            lit_a = {{(64 - W){acc[W - 1]}}, acc};
            lit_q = {{(64 - W){qplus[W - 1]}}, qplus};
            lit_t = {{(64 - W){thr[W - 1]}}, thr};
            lit_p = lit_a * (64'sd1 <<< t) + ((64'sd1 <<< t) - 1) * lit_q;
            if ((lit_p < lit_t) != below) begin
                $display("LRP_CHECK: lane %m step %0d: literal bound %0d < T %0d is %0d, comparator says %0d",
                         step, lit_p, lit_t, lit_p < lit_t, below);
                $finish;
            end
        end
    end
`endif
endmodule

`default_nettype wire
