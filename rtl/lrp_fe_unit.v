// lrp_fe_unit: one front-end processing unit of LeOPArd: a query, LANES bit-serial lanes, the
// key scheduler, fill and drain, and the survivor output port with back-pressure.
//
// It implements "Front-end processing unit" of arch/README.md for one row task at a time. A task
// is started with start=1 in its first cycle r0, together with the query (q_in), the integer
// threshold (t_in), the number of allowed keys (nkeys_in) and whether it is the row's last task
// (last_in). The unit refers to the task's keys by slot 0..nkeys-1 in increasing key order; the
// environment maps slots to key numbers and serves their bit-planes through one combinational
// read port per lane (rd_*), as the K SRAM would.
//
//   Fill:  cycles r0 .. r0+FILL_CYCLES-1 load q and Q+ (with FILL_CYCLES = 0, the lanes use q_in
//          and t_in in cycle r0 itself).
//   Keys:  from r0+FILL_CYCLES, in slot order. SCHEDULING 0 (dynamic): in each cycle the free
//          lanes take the next keys, lowest lane first. SCHEDULING 1 (lockstep): groups of LANES
//          consecutive keys, lane i taking the i-th, a group starting in the cycle after every
//          lane of the previous group is free (decided and pushed).
//   Drain: z = the last cycle in which a key used a lane (r0+FILL_CYCLES-1 when nkeys = 0). In
//          the row's last task the end-of-row marker is pushed at z+DRAIN_CYCLES, or later while
//          the FIFO refuses it; otherwise the task ends at z+DRAIN_CYCLES. The marker is never
//          pushed before r0: with FILL_CYCLES = DRAIN_CYCLES = 0 and no key it goes at r0.
//   ended=1 in the task's last cycle E; the next start may come at E+1.
//
// Survivor port (per cycle): `room` is how many entries the FIFO accepts in this cycle (the
// environment drives it; values above LANES+1 mean the same as LANES+1). sv_valid[l] says lane l
// holds a survivor (slot lane_slot[l]); the unit grants pushes in lane order and then to the
// marker: sv_accept[l] = sv_valid[l] and fewer than `room` lanes below l are valid;
// mk_accept = mk_valid and the accepted survivors leave room. Accepted entries enter the FIFO at
// the end of the cycle, in the order lane 0 .. LANES-1, then the marker. Refused ones retry in
// the next cycle (the lane, or the unit for the marker, stalls).
//
// Verilog-2005, synthesizable.
`timescale 1ns / 1ns
`default_nettype none

module lrp_fe_unit #(
    parameter integer D = 64,                 // trace: head dimension d of q and k
    parameter integer BITS_Q = 12,            // trace meta bits_q (at most config operands.bits_q)
    parameter integer BITS_K = 12,            // trace meta bits_k (at most config operands.bits_k)
    parameter integer BITS_PER_CYCLE = 1,     // config front_end.bits_per_cycle
    parameter integer LANES = 16,             // config front_end.lanes
    parameter integer FILL_CYCLES = 2,        // config front_end.fill_cycles
    parameter integer DRAIN_CYCLES = 1,       // config front_end.drain_cycles
    parameter integer SCHEDULING = 0,         // config front_end.scheduling: 0 = dynamic, 1 = lockstep
    parameter integer EARLY_TERMINATION = 1,  // config front_end.early_termination
    parameter integer KEY_W = 16,             // width of a key slot (a task has < 2^KEY_W keys)
    parameter integer LANE_QREG = 0,          // 1: every lane keeps a copy of q (lrp_lane QREG=1)
    // Derived; leave at their defaults.
    parameter integer W = BITS_Q + BITS_K + $clog2(D) + 2,
    parameter integer P = (BITS_PER_CYCLE < BITS_K) ? BITS_PER_CYCLE : BITS_K,
    parameter integer G = (BITS_K + P - 1) / P,
    parameter integer SW = $clog2(G + 1),
    parameter integer RW = $clog2(LANES + 2)
) (
    input  wire                   clk,
    input  wire                   rst,          // synchronous, active high
    // Task.
    input  wire                   start,
    input  wire [D*BITS_Q-1:0]    q_in,
    input  wire signed [W-1:0]    t_in,
    input  wire [KEY_W-1:0]       nkeys_in,
    input  wire                   last_in,
    // K plane read port of lane l: slot lane_slot[l], step rd_step[l] (1..G, 0 = no read).
    output wire [LANES*SW-1:0]    rd_step,
    input  wire [LANES*P*D-1:0]   rd_planes,    // lane l's planes at [l*P*D +: P*D], as lrp_lane.planes
    output reg  [LANES*KEY_W-1:0] lane_slot,    // slot of the key in lane l (valid when lane used)
    // Survivor port.
    input  wire [RW-1:0]          room,
    output wire [LANES-1:0]       sv_valid,
    output reg  [LANES-1:0]       sv_accept,
    output reg                    mk_valid,
    output reg                    mk_accept,
    // Observation.
    output wire [LANES-1:0]       dec_valid,    // lane l decides slot lane_slot[l] at step rd_step[l]
    output wire [LANES-1:0]       dec_survive,
    output wire                   busy,         // a task is in progress in this cycle
    output reg                    ended,        // this cycle is the task's last
    output wire signed [W-1:0]    qplus         // Q+ of the task (from its start cycle on)
);
    localparam [1:0] S_IDLE = 2'd0, S_FILL = 2'd1, S_KEYS = 2'd2, S_DRAIN = 2'd3;
    localparam integer CW = 16;  // fill and drain counter width
    localparam integer BYP = (FILL_CYCLES == 0) ? 1 : 0;
    localparam integer FILL_M1_I = (FILL_CYCLES > 0) ? FILL_CYCLES - 1 : 0;
    localparam integer DRAIN_M1_I = (DRAIN_CYCLES > 0) ? DRAIN_CYCLES - 1 : 0;
    localparam [CW-1:0] FILL_M1 = FILL_M1_I[CW-1:0];
    localparam [CW-1:0] DRAIN_M1 = DRAIN_M1_I[CW-1:0];

    // Registered task state.
    reg [1:0]            st_r;
    reg [CW-1:0]         cnt_r;      // S_FILL / S_DRAIN: cycles left after this one
    reg [KEY_W:0]        next_r;     // next slot to dispatch
    reg [KEY_W-1:0]      nk_r;
    reg                  last_r;
    reg [D*BITS_Q-1:0]   q_r;
    reg signed [W-1:0]   qp_r;
    reg signed [W-1:0]   t_r;
    reg [LANES*KEY_W-1:0] slot_r;   // slot of the key in each lane

    // Q+ of the incoming query.
    reg signed [W-1:0] qp_in;
    integer i;
    always @* begin
        qp_in = 0;
        for (i = 0; i < D; i = i + 1)
            if (!q_in[i * BITS_Q + BITS_Q - 1])
                qp_in = qp_in + {{(W - BITS_Q){1'b0}}, q_in[i * BITS_Q +: BITS_Q]};
    end

    // The values the lanes use in this cycle: with FILL_CYCLES = 0 the task's first cycle already
    // runs keys, so its inputs bypass the registers.
    wire use_in = (BYP != 0) && start;
    wire [D*BITS_Q-1:0] q_cur = use_in ? q_in : q_r;
    wire signed [W-1:0] t_cur = use_in ? t_in : t_r;
    wire signed [W-1:0] qp_cur = use_in ? qp_in : qp_r;
    assign qplus = start ? qp_in : qp_r;

    // Current state: the registered one, or the task's initial state in its start cycle.
    reg [1:0]       cst;
    reg [CW-1:0]    ccnt;
    reg [KEY_W:0]   cnext;
    reg [KEY_W-1:0] cnk;
    reg             clast;
    always @* begin
        cst = st_r;
        ccnt = cnt_r;
        cnext = next_r;
        cnk = nk_r;
        clast = last_r;
        if (start) begin
            cnext = 0;
            cnk = nkeys_in;
            clast = last_in;
            if (FILL_CYCLES > 0) begin
                cst = S_FILL;
                ccnt = FILL_M1;
            end else if (nkeys_in != 0) begin
                cst = S_KEYS;
                ccnt = 0;
            end else begin
                cst = S_DRAIN;  // z = r0-1: the marker is due at r0-1+DRAIN_CYCLES, never before r0
                ccnt = DRAIN_M1;
            end
        end
    end

    // Lanes.
    wire [LANES-1:0] l_free, l_decide, l_survive, l_pending, l_idle_next;
    reg  [LANES-1:0] l_go;
    genvar gl;
    generate
        for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
            lrp_lane #(
                .D(D), .BITS_Q(BITS_Q), .BITS_K(BITS_K), .BITS_PER_CYCLE(BITS_PER_CYCLE),
                .EARLY_TERMINATION(EARLY_TERMINATION), .QREG(LANE_QREG)
            ) lane (
                .clk(clk), .rst(rst),
                .q_load(start), .q_in(LANE_QREG != 0 ? q_in : q_cur),
                .qplus(qp_cur), .thr(t_cur),
                .go(l_go[gl]),
                .planes(rd_planes[gl * P * D +: P * D]),
                .accept(sv_accept[gl]),
                .free(l_free[gl]),
                .step(rd_step[gl * SW +: SW]),
                .decide(l_decide[gl]), .survive(l_survive[gl]), .pending(l_pending[gl]),
                .idle_next(l_idle_next[gl])
            );
        end
    endgenerate
    assign dec_valid = l_decide;
    assign dec_survive = l_survive;
    assign sv_valid = l_pending;
    assign busy = (cst != S_IDLE);

    // Key scheduler: which free lanes take which slots in this cycle.
    reg [KEY_W:0] ngo;
    reg [KEY_W:0] slot_next;
    reg           group_ok;
    integer a;
    always @* begin
        ngo = 0;
        group_ok = (SCHEDULING == 0) || (&l_free);
        for (a = 0; a < LANES; a = a + 1) begin
            l_go[a] = 1'b0;
            lane_slot[a * KEY_W +: KEY_W] = slot_r[a * KEY_W +: KEY_W];
            slot_next = cnext + ngo;
            if (cst == S_KEYS && l_free[a] && group_ok && slot_next < {1'b0, cnk}) begin
                l_go[a] = 1'b1;
                lane_slot[a * KEY_W +: KEY_W] = slot_next[KEY_W-1:0];
                ngo = ngo + 1'b1;
            end
        end
    end

    // Survivor grants in lane order, then the marker, up to `room`.
    reg [RW:0] granted;
    integer b;
    always @* begin
        granted = 0;
        for (b = 0; b < LANES; b = b + 1) begin
            sv_accept[b] = l_pending[b] && (granted < {1'b0, room});
            if (sv_accept[b])
                granted = granted + 1'b1;
        end
    end

    // Task sequencing.
    reg [1:0]     nst;
    reg [CW-1:0]  ncnt;
    reg           endact;
    wire [KEY_W:0] next_after = cnext + ngo;
    wire          keys_done = (next_after == {1'b0, cnk}) && (&l_idle_next);
    always @* begin
        nst = cst;
        ncnt = ccnt;
        endact = 1'b0;
        case (cst)
            S_FILL:
                if (ccnt != 0)
                    ncnt = ccnt - 1'b1;
                else if (cnk != 0)
                    nst = S_KEYS;
                else if (DRAIN_CYCLES == 0)
                    endact = 1'b1;
                else begin
                    nst = S_DRAIN;
                    ncnt = DRAIN_M1;
                end
            S_KEYS:
                if (keys_done) begin
                    if (DRAIN_CYCLES == 0)
                        endact = 1'b1;
                    else begin
                        nst = S_DRAIN;
                        ncnt = DRAIN_M1;
                    end
                end
            S_DRAIN:
                if (ccnt != 0)
                    ncnt = ccnt - 1'b1;
                else
                    endact = 1'b1;
            default: ;
        endcase
        mk_valid = endact && clast;
        mk_accept = mk_valid && (granted < {1'b0, room});
        ended = endact && (!clast || mk_accept);
        if (endact) begin
            if (ended)
                nst = S_IDLE;
            else begin
                nst = S_DRAIN;  // the marker was refused: retry in the next cycle
                ncnt = 0;
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            st_r   <= S_IDLE;
            cnt_r  <= 0;
            next_r <= 0;
            nk_r   <= 0;
            last_r <= 1'b0;
            q_r    <= 0;
            qp_r   <= 0;
            t_r    <= 0;
        end else begin
            st_r   <= nst;
            cnt_r  <= ncnt;
            next_r <= next_after;
            if (start) begin
                nk_r   <= nkeys_in;
                last_r <= last_in;
                q_r    <= q_in;
                qp_r   <= qp_in;
                t_r    <= t_in;
            end
        end
    end

    integer k;
    always @(posedge clk)
        for (k = 0; k < LANES; k = k + 1)
            if (l_go[k])
                slot_r[k * KEY_W +: KEY_W] <= lane_slot[k * KEY_W +: KEY_W];
endmodule

`default_nettype wire
