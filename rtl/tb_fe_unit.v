// tb_fe_unit: test bench of lrp_fe_unit driven by a rows file (format: rtl/README.md).
//
// Plusargs: +rows=FILE (input, required), +out=FILE (output; default standard output).
// The parameters are compile-time (iverilog -P tb_fe_unit.NAME=V, verilator -GNAME=V) and must
// equal the rows file's header, which the bench checks.
//
// Each row task is started in the cycle after the previous one ended plus the row's gap. In every
// cycle the bench drives `room` from the row's pattern, serves the K planes each lane asks for
// (as an asynchronous-read K SRAM would) and logs what the unit did:
//
//   start ROW CYCLE                         the task's first cycle
//   qplus ROW VALUE                         Q+ as computed by the unit
//   dec ROW KEY LANE STEP CYCLE SURVIVE     a lane decided KEY at termination step STEP
//   push ROW KEY LANE CYCLE                 a survivor entered the FIFO
//   mark ROW CYCLE                          the end-of-row marker entered the FIFO
//   end ROW CYCLE STEPS LSTALLS STALLS      the task's last cycle E; lane-cycles spent stepping
//                                           bit-planes; lane-cycles holding a refused survivor;
//                                           cycles in which any lane or the marker was refused
//   skip ROW                                a task with no key that is not the row's last
//   done ROWS CYCLES                        all rows ran
//   error MESSAGE                           the bench gave up
//
// Verilog-2005 plus file I/O system tasks; runs under Icarus Verilog and Verilator (--timing).
`timescale 1ns / 1ns
`default_nettype none

module tb_fe_unit;
    parameter integer D = 64;
    parameter integer BITS_Q = 12;
    parameter integer BITS_K = 12;
    parameter integer BITS_PER_CYCLE = 1;
    parameter integer LANES = 16;
    parameter integer FILL_CYCLES = 2;
    parameter integer DRAIN_CYCLES = 1;
    parameter integer SCHEDULING = 0;
    parameter integer EARLY_TERMINATION = 1;
    parameter integer LANE_QREG = 0;
    parameter integer KEY_W = 16;
    parameter integer MAX_KEYS = 4096;   // keys per row the bench can hold
    parameter integer MAX_ROOM = 4096;   // room entries per row the bench can hold
    parameter integer MAX_CYCLES = 1000000; // per row, then the bench gives up

    localparam integer W = BITS_Q + BITS_K + $clog2(D) + 2;
    localparam integer P = (BITS_PER_CYCLE < BITS_K) ? BITS_PER_CYCLE : BITS_K;
    localparam integer G = (BITS_K + P - 1) / P;
    localparam integer SW = $clog2(G + 1);
    localparam integer RW = $clog2(LANES + 2);

    reg                    clk = 1'b0;
    reg                    rst = 1'b1;
    reg                    start = 1'b0;
    reg [D*BITS_Q-1:0]     q_in = 0;
    reg signed [W-1:0]     t_in = 0;
    reg [KEY_W-1:0]        nkeys_in = 0;
    reg                    last_in = 1'b0;
    wire [LANES*SW-1:0]    rd_step;
    reg  [LANES*P*D-1:0]   rd_planes = 0;
    wire [LANES*KEY_W-1:0] lane_slot;
    reg  [RW-1:0]          room = 0;
    wire [LANES-1:0]       sv_valid, sv_accept, dec_valid, dec_survive;
    wire                   mk_valid, mk_accept, busy, ended;
    wire signed [W-1:0]    qplus;

    lrp_fe_unit #(
        .D(D), .BITS_Q(BITS_Q), .BITS_K(BITS_K), .BITS_PER_CYCLE(BITS_PER_CYCLE),
        .LANES(LANES), .FILL_CYCLES(FILL_CYCLES), .DRAIN_CYCLES(DRAIN_CYCLES), .SCHEDULING(SCHEDULING),
        .EARLY_TERMINATION(EARLY_TERMINATION), .KEY_W(KEY_W), .LANE_QREG(LANE_QREG)
    ) dut (
        .clk(clk), .rst(rst),
        .start(start), .q_in(q_in), .t_in(t_in), .nkeys_in(nkeys_in), .last_in(last_in),
        .rd_step(rd_step), .rd_planes(rd_planes), .lane_slot(lane_slot),
        .room(room), .sv_valid(sv_valid), .sv_accept(sv_accept),
        .mk_valid(mk_valid), .mk_accept(mk_accept),
        .dec_valid(dec_valid), .dec_survive(dec_survive),
        .busy(busy), .ended(ended), .qplus(qplus)
    );

    // The current row.
    reg [BITS_K-1:0] kmem [0:MAX_KEYS*D-1];
    integer          kid [0:MAX_KEYS-1];
    integer          roomv [0:MAX_ROOM-1];
    integer          nroom;

    integer fin, fout, rc, n, r, c, e, x, lane, slot, s, b;
    integer row, gap, last, nkeys, nrows, cycle, r0, nstep, lstall, ustall, qp_file, has_qp;
    reg refused;
    reg signed [63:0] tv;
    // The DUT's vector inputs are assigned whole, from these: Verilator 5.006 did not propagate
    // part-select writes to q_in made from this initial block into the unit's logic.
    reg [D*BITS_Q-1:0] q_row;
    reg [LANES*P*D-1:0] planes_v;
    reg [8*32-1:0] tok;
    reg [8*32-1:0] strv;
    reg [8*1024-1:0] path;
    reg failed;
    reg row_done;

    task fail;
        input [8*128-1:0] msg;
        begin
            $fdisplay(fout, "error %0s", msg);
            $fflush(fout);
            failed = 1'b1;
            $finish;
        end
    endtask

    // expect reads the next token and fails unless it is `want`.
    task expect_tok;
        input [8*32-1:0] want;
        begin
            rc = $fscanf(fin, "%s", tok);
            if (rc != 1 || tok != want) begin
                $fdisplay(fout, "error expected %0s, got %0s", want, rc == 1 ? tok : "end of file");
                $fflush(fout);
                failed = 1'b1;
                $finish;
            end
        end
    endtask

    // read_int reads the next integer into tv.
    task read_int;
        begin
            rc = $fscanf(fin, "%d", tv);
            if (rc != 1)
                fail("expected an integer");
        end
    endtask

    // parse_int sets tv to the decimal integer held as a string in str ($sscanf does not read
    // such strings the same way in every simulator).
    task parse_int;
        input [8*32-1:0] str;
        reg [7:0] ch;
        reg neg, any;
        integer p;
        begin
            tv = 0;
            neg = 1'b0;
            any = 1'b0;
            for (p = 31; p >= 0; p = p - 1) begin
                ch = str[p * 8 +: 8];
                if (ch == "-" && !any && !neg)
                    neg = 1'b1;
                else if (ch >= "0" && ch <= "9") begin
                    tv = tv * 10 + (ch - "0");
                    any = 1'b1;
                end else if (ch != 0)
                    fail("expected an integer or none");
            end
            if (!any)
                fail("expected an integer or none");
            if (neg)
                tv = -tv;
        end
    endtask

    // header reads "NAME VALUE" and checks VALUE against the compiled parameter.
    task header;
        input [8*32-1:0] name;
        input integer want;
        begin
            expect_tok(name);
            read_int;
            if (tv != want) begin
                $fdisplay(fout, "error rows file has %0s %0d, the bench was compiled with %0d", name, tv, want);
                $fflush(fout);
                failed = 1'b1;
                $finish;
            end
        end
    endtask

    // serve drives the planes each lane asks for in this cycle.
    task serve;
        begin
            for (lane = 0; lane < LANES; lane = lane + 1) begin
                slot = lane_slot[lane * KEY_W +: KEY_W];
                s = rd_step[lane * SW +: SW];
                for (x = 0; x < P; x = x + 1) begin
                    b = BITS_K - 1 - ((s - 1) * P + x);  // the bit plane in slot x of step s
                    for (e = 0; e < D; e = e + 1)
                        planes_v[(lane * P + x) * D + e] =
                            (s != 0 && b >= 0 && slot < nkeys) ? kmem[slot * D + e][b] : 1'b0;
                end
            end
            rd_planes = planes_v;
        end
    endtask

    // tick ends the cycle.
    task tick;
        begin
            clk = 1'b1;
            #1;
            clk = 1'b0;
            #1;
            cycle = cycle + 1;
        end
    endtask

    initial begin
        failed = 1'b0;
        fout = 32'h8000_0001;  // standard output
        if ($value$plusargs("out=%s", path)) begin
            fout = $fopen(path, "w");
            if (fout == 0) begin
                $display("error cannot create the output file");
                $finish;
            end
        end
        if (!$value$plusargs("rows=%s", path))
            fail("missing +rows=FILE");
        fin = $fopen(path, "r");
        if (fin == 0)
            fail("cannot open the rows file");

        expect_tok("lrpsim-rtl-rows");
        read_int;
        if (tv != 1)
            fail("unknown rows file version");
        header("d", D);
        header("bits_q", BITS_Q);
        header("bits_k", BITS_K);
        header("bits_per_cycle", BITS_PER_CYCLE);
        header("lanes", LANES);
        header("fill_cycles", FILL_CYCLES);
        header("drain_cycles", DRAIN_CYCLES);
        expect_tok("scheduling");
        rc = $fscanf(fin, "%s", tok);
        if (!((tok == "dynamic" && SCHEDULING == 0) || (tok == "lockstep" && SCHEDULING == 1)))
            fail("scheduling of the rows file differs from SCHEDULING");
        header("early_termination", EARLY_TERMINATION);
        expect_tok("rows");
        read_int;
        nrows = tv;
        $fdisplay(fout, "lrpsim-rtl-out 1");

        cycle = 0;
        #1;
        tick;  // reset cycle, not counted
        rst = 1'b0;
        cycle = 0;

        for (r = 0; r < nrows; r = r + 1) begin
            expect_tok("row");
            read_int; row = tv;
            expect_tok("gap");
            read_int; gap = tv;
            expect_tok("last");
            read_int; last = tv;
            expect_tok("t");
            read_int; t_in = tv;
            if ($signed(t_in) != tv)
                fail("t does not fit the comparator width");
            expect_tok("qplus");
            rc = $fscanf(fin, "%s", strv);
            has_qp = (strv != "none");
            if (has_qp) begin
                parse_int(strv);
                qp_file = tv;
            end
            expect_tok("keys");
            read_int; nkeys = tv;
            if (nkeys < 0 || nkeys > MAX_KEYS || nkeys >= (1 << KEY_W))
                fail("too many keys for the bench");
            expect_tok("room");
            read_int; nroom = tv;
            if (nroom < 0 || nroom > MAX_ROOM)
                fail("too many room entries for the bench");
            for (n = 0; n < nroom; n = n + 1) begin
                read_int;
                if (tv < 0)
                    fail("negative room");
                roomv[n] = tv;
            end
            expect_tok("q");
            for (e = 0; e < D; e = e + 1) begin
                read_int;
                q_row[e * BITS_Q +: BITS_Q] = tv;
            end
            for (n = 0; n < nkeys; n = n + 1) begin
                expect_tok("k");
                read_int;
                kid[n] = tv;
                for (e = 0; e < D; e = e + 1) begin
                    read_int;
                    kmem[n * D + e] = tv;
                end
            end

            for (n = 0; n < gap; n = n + 1)
                tick;
            if (nkeys == 0 && last == 0) begin
                $fdisplay(fout, "skip %0d", row);
            end else begin
                r0 = cycle;
                nstep = 0;
                lstall = 0;
                ustall = 0;
                nkeys_in = nkeys;
                last_in = last;
                q_in = q_row;
                start = 1'b1;
                row_done = 1'b0;
                $fdisplay(fout, "start %0d %0d", row, r0);
                while (!row_done) begin
                    if (cycle - r0 >= MAX_CYCLES)
                        fail("the row did not end");
                    n = cycle - r0;
                    if (nroom == 0)
                        x = LANES + 1;
                    else if (n < nroom)
                        x = roomv[n];
                    else
                        x = roomv[nroom - 1];
                    room = (x > LANES + 1) ? LANES + 1 : x;
                    #1;
                    serve;
                    #1;
                    if (start) begin
                        $fdisplay(fout, "qplus %0d %0d", row, qplus);
                        if (has_qp && qplus != qp_file)
                            fail("the unit's Q+ differs from the rows file's");
                    end
                    refused = mk_valid && !mk_accept;
                    for (lane = 0; lane < LANES; lane = lane + 1) begin
                        slot = lane_slot[lane * KEY_W +: KEY_W];
                        if (rd_step[lane * SW +: SW] != 0)
                            nstep = nstep + 1;
                        if (dec_valid[lane])
                            $fdisplay(fout, "dec %0d %0d %0d %0d %0d %0d", row, kid[slot], lane,
                                      rd_step[lane * SW +: SW], cycle, dec_survive[lane]);
                        if (sv_accept[lane])
                            $fdisplay(fout, "push %0d %0d %0d %0d", row, kid[slot], lane, cycle);
                        if (sv_valid[lane] && !sv_accept[lane]) begin
                            lstall = lstall + 1;
                            refused = 1'b1;
                        end
                    end
                    if (mk_accept)
                        $fdisplay(fout, "mark %0d %0d", row, cycle);
                    if (refused)
                        ustall = ustall + 1;
                    if (!busy)
                        fail("the unit is idle during a task");
                    if (ended) begin
                        $fdisplay(fout, "end %0d %0d %0d %0d %0d", row, cycle, nstep, lstall, ustall);
                        row_done = 1'b1;
                    end
                    tick;
                    start = 1'b0;
                end
            end
        end
        expect_tok("end");
        $fdisplay(fout, "done %0d %0d", nrows, cycle);
        $fflush(fout);
        $finish;
    end
endmodule

`default_nettype wire
